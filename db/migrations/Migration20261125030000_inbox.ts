import { Migration } from '@mikro-orm/migrations';

export class Migration20261125030000_inbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- A conversation's lifecycle history: status changes, assignments and notes, each with its actor.
      create table conversation_events (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        conversation_id bigint not null references conversations (id) on delete cascade,
        kind text not null check (kind in ('status', 'assignment', 'note')),
        actor_type text not null check (actor_type in ('staff', 'api', 'system')),
        actor_staff_id bigint references staff (id) on delete set null,
        reason text,
        from_status text,
        to_status text,
        from_staff_id bigint references staff (id) on delete set null,
        to_staff_id bigint references staff (id) on delete set null,
        message_id bigint references messages (id) on delete cascade,
        note text,
        snooze_until timestamptz,
        created_at timestamptz not null default now()
      );
      create index conversation_events_conversation_idx on conversation_events (conversation_id, id);

      -- The channels a conversation has used, for the inbox's channel filter.
      alter table conversations add column channels text[] not null default '{}';
      update conversations c set channels = coalesce(
        (select array_agg(distinct m.channel order by m.channel) from messages m where m.conversation_id = c.id and m.channel <> 'note'), '{}');

      create index conversations_created_idx on conversations (business_id, created_at desc, id desc);
      create index conversations_location_idx on conversations (business_id, location_id, (coalesce(last_message_at, created_at)) desc, id desc);
      create index conversations_unread_idx on conversations (business_id, (coalesce(last_message_at, created_at)) desc, id desc) where unread_count > 0;
      create index conversations_client_idx on conversations (client_id, id);

      -- Full-text search over what a message says; subjects weigh more than bodies.
      alter table messages add column search_vector tsvector generated always as (
        setweight(to_tsvector('english', coalesce(subject, '')), 'A') || setweight(to_tsvector('english', coalesce(body, '')), 'B')
      ) stored;
      create index messages_search_idx on messages using gin (search_vector);
      -- Unread inbound messages, which the conversation's unread_count counts.
      create index messages_unread_idx on messages (conversation_id, created_at) where direction = 'inbound' and not is_read;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists messages_unread_idx;
      drop index if exists messages_search_idx;
      alter table messages drop column if exists search_vector;
      drop index if exists conversations_client_idx;
      drop index if exists conversations_unread_idx;
      drop index if exists conversations_location_idx;
      drop index if exists conversations_created_idx;
      alter table conversations drop column if exists channels;
      drop table if exists conversation_events;
    `);
  }
}
