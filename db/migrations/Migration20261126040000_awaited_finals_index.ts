import { Migration } from '@mikro-orm/migrations';

export class Migration20261126040000_awaited_finals_index extends Migration {
  override async up(): Promise<void> {
    // The drainer's sweep for final news applied but not yet heard by its workflow: only sends in flight are indexed.
    this.addSql(`create index messages_awaiting_delivery_idx on messages (updated_at) where awaiting_delivery;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists messages_awaiting_delivery_idx;`);
  }
}
