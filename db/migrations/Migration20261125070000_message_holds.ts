import { Migration } from '@mikro-orm/migrations';

export class Migration20261125070000_message_holds extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- Why a due message is still waiting (say, the business's quiet hours), and until when.
      alter table messages
        add column hold_reason text check (hold_reason in ('quiet_hours')),
        add column hold_until timestamptz;
    `);
  }

  override async down(): Promise<void> {
    this.addSql('alter table messages drop column if exists hold_until, drop column if exists hold_reason;');
  }
}
