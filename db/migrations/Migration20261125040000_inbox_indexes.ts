import { Migration } from '@mikro-orm/migrations';

export class Migration20261125040000_inbox_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- A search for a client by part of a name, email or phone number (personMatches: ilike '%q%')
      -- finds its rows by trigram instead of reading every client of the business. pg_trgm is a
      -- trusted extension: the database owner may create it.
      create extension if not exists pg_trgm;
      create index clients_name_trgm_idx on clients using gin ((first_name || ' ' || last_name) gin_trgm_ops);
      create index clients_email_trgm_idx on clients using gin (email gin_trgm_ops);
      create index clients_phone_digits_trgm_idx on clients using gin ((regexp_replace(phone, '[^0-9]', '', 'g')) gin_trgm_ops);
    `);
  }

  override async down(): Promise<void> {
    // The extension stays: other objects may have come to use it.
    this.addSql(`
      drop index if exists clients_phone_digits_trgm_idx;
      drop index if exists clients_email_trgm_idx;
      drop index if exists clients_name_trgm_idx;
    `);
  }
}
