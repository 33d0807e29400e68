import { Migration } from '@mikro-orm/migrations';

export class Migration20261126020000_voice_calls extends Migration {
  override async up(): Promise<void> {
    // A call is a message of channel voice; what is known of the call itself lives beside it.
    this.addSql(`alter table messages add column call jsonb;`);
    // A missed call's text-back asks whether the client called again or was called back since.
    this.addSql(`create index messages_voice_client_idx on messages (client_id, created_at) where channel = 'voice';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists messages_voice_client_idx;`);
    this.addSql(`alter table messages drop column if exists call;`);
  }
}
