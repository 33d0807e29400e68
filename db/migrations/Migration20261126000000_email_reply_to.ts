import { Migration } from '@mikro-orm/migrations';

export class Migration20261126000000_email_reply_to extends Migration {
  override async up(): Promise<void> {
    // The address an email's answers go to, when it is not the sender's.
    this.addSql(`alter table messages add column reply_to text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table messages drop column if exists reply_to;`);
  }
}
