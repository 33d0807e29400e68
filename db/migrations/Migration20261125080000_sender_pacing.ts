import { Migration } from '@mikro-orm/migrations';

export class Migration20261125080000_sender_pacing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- When each sending number is next free: sends from one number are spaced by their segments.
      create table sender_pacing (
        from_address text primary key,
        next_free_at timestamptz not null
      );
      alter table messages drop constraint messages_hold_reason_check,
        add constraint messages_hold_reason_check check (hold_reason in ('quiet_hours', 'pacing'));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      update messages set hold_reason = null, hold_until = null where hold_reason = 'pacing';
      alter table messages drop constraint messages_hold_reason_check,
        add constraint messages_hold_reason_check check (hold_reason in ('quiet_hours'));
      drop table if exists sender_pacing;
    `);
  }
}
