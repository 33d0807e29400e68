import { Migration } from '@mikro-orm/migrations';

export class Migration20261126010000_unapplied_events_index extends Migration {
  override async up(): Promise<void> {
    // The delivery outbox's sweep looks for news kept but never passed on; applied events are
    // nearly all of the table and stay out of the index.
    this.addSql(`create index message_status_events_unapplied_idx on message_status_events (received_at) where applied_at is null and message_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists message_status_events_unapplied_idx;`);
  }
}
