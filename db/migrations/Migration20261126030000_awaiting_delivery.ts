import { Migration } from '@mikro-orm/migrations';

export class Migration20261126030000_awaiting_delivery extends Migration {
  override async up(): Promise<void> {
    // Which messages a running send workflow waits on: news for the others is applied where it
    // lands, with no signal to a workflow that is not there. Sends in flight now are taken to wait.
    this.addSql(`alter table messages add column awaiting_delivery boolean not null default false;`);
    this.addSql(
      `update messages set awaiting_delivery = true
        where direction = 'outbound' and channel in ('sms', 'email') and provider_message_id is not null and status in ('QUEUED', 'SENT');`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table messages drop column awaiting_delivery;`);
  }
}
