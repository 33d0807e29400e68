import { Migration } from '@mikro-orm/migrations';

export class Migration20261125020000_onboarding extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table locations add column phone_number_sid text;

      -- Clients to import, staged by the API in batches so the onboarding workflow carries only batch numbers.
      create table client_import_batches (
        business_id bigint not null references businesses (id) on delete cascade,
        batch_no integer not null,
        first_row integer not null,
        rows jsonb not null,
        imported integer,
        merged integer,
        rejected jsonb,
        processed_at timestamptz,
        primary key (business_id, batch_no)
      );
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists client_import_batches;
      alter table locations drop column phone_number_sid;
    `);
  }
}
