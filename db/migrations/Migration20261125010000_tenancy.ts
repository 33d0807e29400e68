import { Migration } from '@mikro-orm/migrations';

export class Migration20261125010000_tenancy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table api_keys (
        id bigserial primary key,
        business_id bigint not null references businesses (id) on delete cascade,
        name text not null default 'default',
        -- The public part of a key, to find it without scanning; the secret is kept only hashed.
        prefix text not null unique,
        secret_hash text not null,
        state text not null default 'ACTIVE' check (state in ('PENDING', 'ACTIVE', 'REVOKED')),
        created_at timestamptz not null default now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      create index api_keys_business_idx on api_keys (business_id, id);

      create table sessions (
        id bigserial primary key,
        token_hash text not null unique,
        business_id bigint not null references businesses (id) on delete cascade,
        staff_id bigint references staff (id) on delete cascade,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        revoked_at timestamptz,
        last_used_at timestamptz
      );
      create index sessions_business_idx on sessions (business_id, id);

      alter table businesses
        add column onboarding_workflow_id text,
        add column onboarding jsonb not null default '{}';
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table businesses drop column onboarding, drop column onboarding_workflow_id;
      drop table if exists sessions;
      drop table if exists api_keys;
    `);
  }
}
