import { Migration } from '@mikro-orm/migrations';

export class Migration20261125050000_consent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- The consent ledger: every opt-out and opt-in per business, channel and address, and what
      -- caused it. The client's sms_opt_out / email_opt_out is the current state it leads to.
      create table consent_events (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        client_id bigint references clients (id) on delete set null,
        channel text not null check (channel in ('sms', 'email')),
        address text not null,
        action text not null check (action in ('opt_out', 'opt_in')),
        source text not null check (source in ('keyword', 'api', 'unsubscribe', 'spam_report')),
        keyword text,
        message_id bigint references messages (id) on delete set null,
        created_at timestamptz not null default now()
      );
      create index consent_events_address_idx on consent_events (business_id, channel, address, id);

      -- Compliance replies (STOP and HELP answers) go out to opted-out numbers and at any hour;
      -- transactional messages may go out in quiet hours.
      alter table messages add column category text not null default 'standard'
        check (category in ('standard', 'transactional', 'compliance'));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table messages drop column if exists category;
      drop table if exists consent_events;
    `);
  }
}
