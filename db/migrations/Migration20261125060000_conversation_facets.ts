import { Migration } from '@mikro-orm/migrations';

/** The facet columns of a conversation, in the order the facet key lists them. */
const FACETS = 'business_id, status, assigned_staff_id, location_id, channels, unread';
const FACET_ROWS = (table: string, sign: string) =>
  `select business_id, status, assigned_staff_id, location_id, channels, unread_count > 0 as unread, ${sign}1 as conversations, ${sign}unread_count as unread_messages from ${table}`;

/**
 * Applies one statement's changes to the facet counts: net deltas per facet key, upserted in key
 * order so that concurrent statements lock facet rows in the same order (no deadlock between them).
 * A business being deleted takes its facet rows with it; its conversations' deletes add none back.
 */
const applyDeltas = (rows: string) => `
  insert into conversation_facets as f (${FACETS}, conversations, unread_messages)
  select ${FACETS}, sum(conversations), sum(unread_messages)
  from (${rows}) d
  where exists (select 1 from businesses b where b.id = d.business_id)
  group by ${FACETS}
  having sum(conversations) <> 0 or sum(unread_messages) <> 0
  order by ${FACETS}
  on conflict (business_id, status, (coalesce(assigned_staff_id, 0)), (coalesce(location_id, 0)), channels, unread)
  do update set conversations = f.conversations + excluded.conversations, unread_messages = f.unread_messages + excluded.unread_messages;`;

export class Migration20261125060000_conversation_facets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- How many conversations a business has per status, assignee, location, channel set and
      -- unread state: the inbox's filter counts, kept by statement triggers on conversations so
      -- that reading them costs a few rows per business instead of a scan of its conversations.
      create table conversation_facets (
        business_id bigint not null references businesses (id) on delete cascade,
        status text not null,
        assigned_staff_id bigint,
        location_id bigint,
        channels text[] not null,
        unread boolean not null,
        conversations integer not null,
        unread_messages integer not null
      );
      create unique index conversation_facets_key_uq
        on conversation_facets (business_id, status, (coalesce(assigned_staff_id, 0)), (coalesce(location_id, 0)), channels, unread);

      create function conversation_facets_inserted() returns trigger language plpgsql as $$
      begin ${applyDeltas(FACET_ROWS('new_rows', ''))} return null; end $$;
      create function conversation_facets_updated() returns trigger language plpgsql as $$
      begin ${applyDeltas(`${FACET_ROWS('new_rows', '')} union all ${FACET_ROWS('old_rows', '-')}`)} return null; end $$;
      create function conversation_facets_deleted() returns trigger language plpgsql as $$
      begin ${applyDeltas(FACET_ROWS('old_rows', '-'))} return null; end $$;

      create trigger conversation_facets_on_insert after insert on conversations
        referencing new table as new_rows for each statement execute function conversation_facets_inserted();
      create trigger conversation_facets_on_update after update on conversations
        referencing old table as old_rows new table as new_rows for each statement execute function conversation_facets_updated();
      create trigger conversation_facets_on_delete after delete on conversations
        referencing old table as old_rows for each statement execute function conversation_facets_deleted();

      insert into conversation_facets (${FACETS}, conversations, unread_messages)
      ${`select ${FACETS}, count(*), sum(unread_messages) from (${FACET_ROWS('conversations', '')}) c group by ${FACETS}`};
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop trigger if exists conversation_facets_on_delete on conversations;
      drop trigger if exists conversation_facets_on_update on conversations;
      drop trigger if exists conversation_facets_on_insert on conversations;
      drop function if exists conversation_facets_deleted();
      drop function if exists conversation_facets_updated();
      drop function if exists conversation_facets_inserted();
      drop table if exists conversation_facets;
    `);
  }
}
