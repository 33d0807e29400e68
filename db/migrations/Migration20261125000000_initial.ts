import { Migration } from '@mikro-orm/migrations';

export class Migration20261125000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table businesses (
        id bigserial primary key,
        name text not null check (length(name) between 1 and 200),
        timezone text not null default 'UTC',
        status text not null default 'ONBOARDING' check (status in ('ONBOARDING', 'ACTIVE', 'FAILED')),
        settings jsonb not null default '{}',
        email_from_address text,
        email_from_name text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      create table locations (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        name text not null,
        address text,
        timezone text not null default 'UTC',
        phone_number text unique,
        email text,
        created_at timestamptz not null default now()
      );
      create index locations_business_idx on locations (business_id, id);

      create table staff (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        first_name text not null,
        last_name text not null default '',
        email text,
        phone text,
        role text not null default 'staff',
        is_active boolean not null default true,
        location_ids bigint[] not null default '{}',
        created_at timestamptz not null default now()
      );
      create index staff_business_idx on staff (business_id, id);
      create unique index staff_business_email_uq on staff (business_id, lower(email)) where email is not null;

      create table clients (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        first_name text not null default '',
        last_name text not null default '',
        phone text,
        email text,
        sms_opt_out boolean not null default false,
        email_opt_out boolean not null default false,
        location_id bigint references locations (id) on delete set null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index clients_business_idx on clients (business_id, id);
      create unique index clients_business_phone_uq on clients (business_id, phone) where phone is not null;
      create unique index clients_business_email_uq on clients (business_id, lower(email)) where email is not null;

      create table conversations (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        client_id bigint not null references clients (id) on delete cascade,
        location_id bigint references locations (id) on delete set null,
        status text not null default 'ACTIVE'
          check (status in ('ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED', 'ARCHIVED')),
        assigned_staff_id bigint references staff (id) on delete set null,
        unread_count integer not null default 0 check (unread_count >= 0),
        last_message_at timestamptz,
        last_message_preview text,
        last_message_channel text,
        last_message_direction text,
        snooze_until timestamptz,
        resolved_at timestamptz,
        resolved_by_staff_id bigint references staff (id) on delete set null,
        resolution_note text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      -- One open conversation per client; archived ones are history.
      create unique index conversations_open_client_uq on conversations (client_id) where status <> 'ARCHIVED';
      create index conversations_inbox_idx on conversations (business_id, (coalesce(last_message_at, created_at)) desc, id desc);
      create index conversations_status_idx on conversations (business_id, status, (coalesce(last_message_at, created_at)) desc, id desc);
      create index conversations_assignee_idx on conversations (business_id, assigned_staff_id, (coalesce(last_message_at, created_at)) desc, id desc);

      create table messages (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        conversation_id bigint references conversations (id) on delete cascade,
        client_id bigint references clients (id) on delete set null,
        channel text not null check (channel in ('sms', 'email', 'voice', 'note')),
        direction text not null check (direction in ('inbound', 'outbound', 'internal')),
        status text not null check (status in ('PENDING', 'SCHEDULED', 'QUEUED', 'SENT', 'DELIVERED', 'READ',
          'UNDELIVERED', 'FAILED', 'CANCELED', 'RECEIVED', 'RECORDED')),
        body text,
        subject text,
        html text,
        from_address text,
        to_address text,
        media_urls jsonb not null default '[]',
        request_id text,
        request_hash text,
        provider_message_id text,
        error_code text,
        error_message text,
        attempts integer not null default 0,
        is_read boolean not null default false,
        staff_id bigint references staff (id) on delete set null,
        send_at timestamptz,
        created_at timestamptz not null default now(),
        sent_at timestamptz,
        delivered_at timestamptz,
        updated_at timestamptz not null default now()
      );
      -- The idempotency key of a send: one message per business, request and recipient.
      create unique index messages_request_recipient_uq on messages (business_id, request_id, to_address) where request_id is not null;
      create unique index messages_provider_id_uq on messages (channel, provider_message_id) where provider_message_id is not null;
      create index messages_timeline_idx on messages (conversation_id, created_at desc, id desc);
      create index messages_business_status_idx on messages (business_id, status, updated_at desc);

      create table message_status_events (
        id bigserial primary key,
        message_id bigint references messages (id) on delete cascade,
        provider text not null,
        provider_message_id text,
        provider_event_id text,
        status text,
        raw_status text not null,
        error_code text,
        error_message text,
        payload jsonb not null default '{}',
        occurred_at timestamptz,
        received_at timestamptz not null default now(),
        applied_at timestamptz
      );
      create index message_status_events_message_idx on message_status_events (message_id, id);
      -- Events that arrive before the provider id is stored wait here for their message.
      create index message_status_events_orphan_idx on message_status_events (provider, provider_message_id) where message_id is null;
      create unique index message_status_events_provider_event_uq on message_status_events (provider, provider_event_id) where provider_event_id is not null;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists message_status_events;
      drop table if exists messages;
      drop table if exists conversations;
      drop table if exists clients;
      drop table if exists staff;
      drop table if exists locations;
      drop table if exists businesses;
    `);
  }
}
