import { Migration } from '@mikro-orm/migrations';

export class Migration20261126040000_awaited_finals_index extends Migration {
  override async up(): Promise<void> {
    // The drainer's sweep for final news applied but not yet heard by its workflow: only such
    // messages are indexed, a few at any time. The statuses are db/message-status.ts's final ones.
    this.addSql(
      `create index messages_awaited_final_idx on messages (updated_at)
        where awaiting_delivery and status in ('DELIVERED', 'READ', 'UNDELIVERED', 'FAILED', 'CANCELED', 'RECEIVED', 'RECORDED');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists messages_awaited_final_idx;`);
  }
}
