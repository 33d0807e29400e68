import type { EntityManager } from '@mikro-orm/postgresql';
import { CONVERSATION_STATUSES, Conversation, ConversationEvent, Message, type ConversationStatus } from '../entities';
import type { Channel, Direction, MessageStatus } from '../message-status';
import { pgArray } from '../sql';
import { afterKeyset, type Keyset } from './keyset';
import { allOf, personMatches, type Condition, type Page } from './people';

/** The text search configuration of messages.search_vector. */
const TEXT_SEARCH_CONFIG = 'english';
/** A search over message text that takes longer is cut off rather than left to hold a connection. */
export const SEARCH_TIMEOUT_MS = 3_000;

export interface ConversationFilter {
  statuses?: ConversationStatus[];
  assignedStaffId?: number;
  unassigned?: boolean;
  locationId?: number;
  channel?: Exclude<Channel, 'note'>;
  unread?: boolean;
  clientId?: number;
  /** Client name, phone or email, or words of the conversation's messages. */
  q?: string;
  updatedAfter?: Date;
}

export type ConversationSort = '-last_message_at' | 'last_message_at' | '-created_at' | 'created_at';

export interface ListPosition extends Page {
  /** Keyset pagination: the page after this position (`page` is then ignored). */
  after?: Keyset;
}

export interface ClientSummary {
  id: number;
  firstName: string;
  lastName: string;
  phone: string | null;
  email: string | null;
}

export interface StaffSummary {
  id: number;
  firstName: string;
  lastName: string;
}

export interface ConversationListItem {
  conversation: Conversation;
  client: ClientSummary;
  assignedStaff: StaffSummary | null;
}

const ACTIVITY = 'coalesce(c.last_message_at, c.created_at)';

const SORT_KEYS: Record<ConversationSort, { key: string; descending: boolean }> = {
  '-last_message_at': { key: ACTIVITY, descending: true },
  last_message_at: { key: ACTIVITY, descending: false },
  '-created_at': { key: 'c.created_at', descending: true },
  created_at: { key: 'c.created_at', descending: false },
};

/**
 * How many message hits and client matches a search resolves to ids up front. Fewer: the list
 * reads just those conversations by id. More (a broad term): it walks the list in order, testing
 * each conversation, and stops at the page's LIMIT; its count stops at COUNT_LIMIT.
 */
const SEARCH_CANDIDATES = 2_000;
/** A `total` that has to be counted row by row (a search, a client or time filter) stops at this many. */
export const COUNT_LIMIT = 10_000;

/** Words of a message in the conversation (full text) or the client's name, phone or email (substring). */
function conversationMatches(businessId: number, q: string): Condition {
  const person = personMatches('cl', q);
  return {
    sql: `(c.client_id in (select cl.id from clients cl where cl.business_id = ? and ${person.sql})
           or exists (select 1 from messages m where m.conversation_id = c.id
             and m.search_vector @@ websearch_to_tsquery('${TEXT_SEARCH_CONFIG}', ?)))`,
    params: [businessId, ...person.params, q],
  };
}

/**
 * The conversations `q` can match, as ids, when there are few: those with a message hit (by the
 * text index) and those of matching clients (by the trigram indexes). Null when either side has
 * more than SEARCH_CANDIDATES, where walking the list in order finds a page sooner.
 */
async function searchCandidates(em: EntityManager, businessId: number, q: string): Promise<Condition | null> {
  const person = personMatches('cl', q);
  const [row] = await em.execute(
    `select array(select m.conversation_id from messages m where m.business_id = ?
                    and m.search_vector @@ websearch_to_tsquery('${TEXT_SEARCH_CONFIG}', ?) limit ${SEARCH_CANDIDATES + 1}) as conversation_ids,
            array(select cl.id from clients cl where cl.business_id = ? and ${person.sql} limit ${SEARCH_CANDIDATES + 1}) as client_ids`,
    [businessId, q, businessId, ...person.params],
  );
  const conversationIds = (row.conversation_ids as (string | number)[]).map(Number);
  const clientIds = (row.client_ids as (string | number)[]).map(Number);
  if (conversationIds.length > SEARCH_CANDIDATES || clientIds.length > SEARCH_CANDIDATES) return null;
  return {
    sql: '(c.id = any(?::bigint[]) or c.client_id = any(?::bigint[]))',
    params: [pgArray([...new Set(conversationIds)]), pgArray(clientIds)],
  };
}

/** The filter's conditions; `q` as found by `search` (the candidates' ids, or the per-row test). */
function conversationConditions(businessId: number, filter: ConversationFilter, search: Condition | null): Condition {
  const parts: Condition[] = [{ sql: 'c.business_id = ?', params: [businessId] }];
  if (filter.statuses?.length) parts.push({ sql: 'c.status = any(?::text[])', params: [pgArray(filter.statuses)] });
  if (filter.unassigned) parts.push({ sql: 'c.assigned_staff_id is null', params: [] });
  else if (filter.assignedStaffId !== undefined) parts.push({ sql: 'c.assigned_staff_id = ?', params: [filter.assignedStaffId] });
  if (filter.locationId !== undefined) parts.push({ sql: 'c.location_id = ?', params: [filter.locationId] });
  if (filter.channel) parts.push({ sql: '? = any(c.channels)', params: [filter.channel] });
  if (filter.unread === true) parts.push({ sql: 'c.unread_count > 0', params: [] });
  if (filter.unread === false) parts.push({ sql: 'c.unread_count = 0', params: [] });
  if (filter.clientId !== undefined) parts.push({ sql: 'c.client_id = ?', params: [filter.clientId] });
  if (filter.updatedAfter) parts.push({ sql: 'c.updated_at > ?', params: [filter.updatedAfter] });
  if (search) parts.push(search);
  return allOf(parts);
}

/**
 * How many conversations match: exactly, from the facet counts, when every filter is a facet
 * (status, assignee, location, channel, unread); otherwise counted, up to COUNT_LIMIT.
 */
async function countMatching(em: EntityManager, businessId: number, filter: ConversationFilter, where: Condition): Promise<number> {
  if (filter.q || filter.clientId !== undefined || filter.updatedAfter) {
    const [{ total }] = await em.execute(`select count(*)::int as total from (select 1 from conversations c where ${where.sql} limit ${COUNT_LIMIT}) matching`, where.params);
    return total;
  }
  const parts: Condition[] = [{ sql: 'f.business_id = ?', params: [businessId] }];
  if (filter.statuses?.length) parts.push({ sql: 'f.status = any(?::text[])', params: [pgArray(filter.statuses)] });
  if (filter.unassigned) parts.push({ sql: 'f.assigned_staff_id is null', params: [] });
  else if (filter.assignedStaffId !== undefined) parts.push({ sql: 'f.assigned_staff_id = ?', params: [filter.assignedStaffId] });
  if (filter.locationId !== undefined) parts.push({ sql: 'f.location_id = ?', params: [filter.locationId] });
  if (filter.channel) parts.push({ sql: '? = any(f.channels)', params: [filter.channel] });
  if (filter.unread !== undefined) parts.push({ sql: 'f.unread = ?', params: [filter.unread] });
  const facets = allOf(parts);
  const [{ total }] = await em.execute(`select coalesce(sum(f.conversations), 0)::int as total from conversation_facets f where ${facets.sql}`, facets.params);
  return total;
}

/** Runs the reads of a search with a statement timeout, so a broad search is cut off instead of holding a connection. */
async function withSearchTimeout<T>(em: EntityManager, searching: boolean, read: (em: EntityManager) => Promise<T>): Promise<T> {
  if (!searching) return read(em);
  return em.transactional(async (tx) => {
    await tx.execute(`set local statement_timeout = ${SEARCH_TIMEOUT_MS}`);
    return read(tx);
  });
}

/**
 * One page of a business's conversations with their client and assignee, in the order asked
 * (newest activity first by default), and how many match in all (up to COUNT_LIMIT). With `after`,
 * the page is the one following that position, found by index rather than by skipping rows.
 */
export async function listConversations(
  em: EntityManager,
  businessId: number,
  filter: ConversationFilter,
  sort: ConversationSort,
  position: ListPosition,
): Promise<{ items: ConversationListItem[]; total: number; next: Keyset | null }> {
  const { key, descending } = SORT_KEYS[sort];
  const direction = descending ? 'desc' : 'asc';
  const offset = position.after ? 0 : (position.page - 1) * position.pageSize;

  return withSearchTimeout(em, Boolean(filter.q), async (reader) => {
    const search = filter.q ? ((await searchCandidates(reader, businessId, filter.q)) ?? conversationMatches(businessId, filter.q)) : null;
    const where = conversationConditions(businessId, filter, search);
    const paged = position.after ? allOf([where, afterKeyset(key, 'c.id', descending, position.after)]) : where;
    const [rows, total] = await Promise.all([
      reader.execute(
        `select c.*, ${key}::text as sort_key,
           cl.first_name as client_first_name, cl.last_name as client_last_name, cl.phone as client_phone, cl.email as client_email,
           s.first_name as staff_first_name, s.last_name as staff_last_name
         from (select c.* from conversations c where ${paged.sql} order by ${key} ${direction}, c.id ${direction} limit ? offset ?) c
         join clients cl on cl.id = c.client_id
         left join staff s on s.id = c.assigned_staff_id
         order by ${key} ${direction}, c.id ${direction}`,
        [...paged.params, position.pageSize + 1, offset],
      ),
      countMatching(reader, businessId, filter, where),
    ]);
    const hasMore = rows.length > position.pageSize;
    const pageRows = rows.slice(0, position.pageSize);
    const last = pageRows.at(-1);
    return {
      items: pageRows.map((row: Record<string, unknown>) => ({
        conversation: reader.map(Conversation, row),
        client: {
          id: Number(row.client_id),
          firstName: row.client_first_name as string,
          lastName: row.client_last_name as string,
          phone: (row.client_phone as string | null) ?? null,
          email: (row.client_email as string | null) ?? null,
        },
        assignedStaff: row.assigned_staff_id
          ? { id: Number(row.assigned_staff_id), firstName: row.staff_first_name as string, lastName: row.staff_last_name as string }
          : null,
      })),
      total,
      next: hasMore && last ? { key: last.sort_key as string, id: Number(last.id) } : null,
    };
  });
}

export async function conversationItem(em: EntityManager, businessId: number, conversationId: number): Promise<ConversationListItem | null> {
  const conversation = await em.findOne(Conversation, { id: conversationId, businessId });
  if (!conversation) return null;
  const [client] = await em.execute('select id, first_name, last_name, phone, email from clients where id = ?', [conversation.clientId]);
  const [staff] = conversation.assignedStaffId
    ? await em.execute('select id, first_name, last_name from staff where id = ?', [conversation.assignedStaffId])
    : [];
  return {
    conversation,
    client: { id: Number(client.id), firstName: client.first_name, lastName: client.last_name, phone: client.phone, email: client.email },
    assignedStaff: staff ? { id: Number(staff.id), firstName: staff.first_name, lastName: staff.last_name } : null,
  };
}

export interface FilterCounts {
  statuses: { status: ConversationStatus; count: number }[];
  assignees: { staffId: number; firstName: string; lastName: string; count: number }[];
  unassigned: number;
  /** Conversations assigned to the calling staff member, when a staff session calls. */
  mine: number | null;
  channels: { channel: Channel; count: number }[];
  locations: { locationId: number; name: string; count: number }[];
  unread: { conversations: number; messages: number };
}

/**
 * What the inbox can filter by, with counts. Statuses are counted over every conversation;
 * assignees, channels, locations and unread over those in `statuses` (by default the ones not
 * archived), as an inbox shows them beside its open list.
 */
export async function conversationFilterCounts(em: EntityManager, businessId: number, statuses: ConversationStatus[], staffId: number | null): Promise<FilterCounts> {
  // conversation_facets holds the counts per status, assignee, location, channel set and unread
  // state, kept by triggers on conversations: a business has a few hundred such rows, not a
  // scan of all its conversations.
  const [rows, staffRows, locationRows] = await Promise.all([
    em.execute(
      `select status, assigned_staff_id, location_id, channels, unread, conversations, unread_messages
       from conversation_facets where business_id = ? and conversations > 0`,
      [businessId],
    ),
    em.execute('select id, first_name, last_name from staff where business_id = ?', [businessId]),
    em.execute('select id, name from locations where business_id = ?', [businessId]),
  ]);
  const facets = rows.map((r: Record<string, unknown>) => ({
    status: r.status as ConversationStatus,
    staffId: r.assigned_staff_id === null ? null : Number(r.assigned_staff_id),
    locationId: r.location_id === null ? null : Number(r.location_id),
    channels: r.channels as Channel[],
    unread: r.unread as boolean,
    conversations: r.conversations as number,
    unreadMessages: r.unread_messages as number,
  }));
  const inScope = facets.filter((f) => statuses.includes(f.status));
  const countBy = <K>(key: (f: (typeof facets)[number]) => K | K[]): Map<K, number> => {
    const counts = new Map<K, number>();
    for (const f of inScope) for (const k of ([] as K[]).concat(key(f))) counts.set(k, (counts.get(k) ?? 0) + f.conversations);
    return counts;
  };
  const byStatus = new Map<ConversationStatus, number>();
  for (const f of facets) byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + f.conversations);
  const byStaff = countBy((f) => f.staffId);
  const byLocation = countBy((f) => f.locationId);
  const byChannel = countBy((f) => f.channels);
  const staffNames = new Map(staffRows.map((r: Record<string, unknown>) => [Number(r.id), r]));
  const locationNames = new Map(locationRows.map((r: Record<string, unknown>) => [Number(r.id), r.name as string]));
  return {
    statuses: CONVERSATION_STATUSES.map((status) => ({ status, count: byStatus.get(status) ?? 0 })),
    assignees: [...byStaff]
      .filter((entry): entry is [number, number] => entry[0] !== null)
      .map(([id, count]) => ({ staffId: id, firstName: (staffNames.get(id)?.first_name as string) ?? '', lastName: (staffNames.get(id)?.last_name as string) ?? '', count }))
      .sort((a, b) => b.count - a.count || a.staffId - b.staffId),
    unassigned: byStaff.get(null) ?? 0,
    mine: staffId === null ? null : (byStaff.get(staffId) ?? 0),
    channels: [...byChannel].map(([channel, count]) => ({ channel, count })).sort((a, b) => a.channel.localeCompare(b.channel)),
    locations: [...byLocation]
      .filter((entry): entry is [number, number] => entry[0] !== null)
      .map(([id, count]) => ({ locationId: id, name: locationNames.get(id) ?? '', count }))
      .sort((a, b) => a.locationId - b.locationId),
    unread: {
      conversations: inScope.filter((f) => f.unread).reduce((sum, f) => sum + f.conversations, 0),
      messages: inScope.reduce((sum, f) => sum + f.unreadMessages, 0),
    },
  };
}

export interface TimelineFilter {
  channel?: Channel;
  direction?: Direction;
  status?: MessageStatus;
  isRead?: boolean;
  before?: Date;
  after?: Date;
  includeNotes: boolean;
}

/** One page of a conversation's messages, newest first, and how many match in all. */
export async function conversationTimeline(
  em: EntityManager,
  conversationId: number,
  filter: TimelineFilter,
  position: ListPosition,
): Promise<{ messages: Message[]; total: number; next: Keyset | null }> {
  const parts: Condition[] = [{ sql: 'm.conversation_id = ?', params: [conversationId] }];
  if (filter.channel) parts.push({ sql: 'm.channel = ?', params: [filter.channel] });
  if (filter.direction) parts.push({ sql: 'm.direction = ?', params: [filter.direction] });
  if (filter.status) parts.push({ sql: 'm.status = ?', params: [filter.status] });
  if (filter.isRead !== undefined) parts.push({ sql: 'm.is_read = ?', params: [filter.isRead] });
  if (filter.before) parts.push({ sql: 'm.created_at < ?', params: [filter.before] });
  if (filter.after) parts.push({ sql: 'm.created_at > ?', params: [filter.after] });
  if (!filter.includeNotes) parts.push({ sql: "m.channel <> 'note'", params: [] });
  const where = allOf(parts);
  const paged = position.after ? allOf([where, afterKeyset('m.created_at', 'm.id', true, position.after)]) : where;
  const [rows, [{ total }]] = await Promise.all([
    em.execute(
      `select m.*, m.created_at::text as sort_key from messages m where ${paged.sql}
       order by m.created_at desc, m.id desc limit ? offset ?`,
      [...paged.params, position.pageSize + 1, position.after ? 0 : (position.page - 1) * position.pageSize],
    ),
    em.execute(`select count(*)::int as total from messages m where ${where.sql}`, where.params),
  ]);
  const pageRows = rows.slice(0, position.pageSize);
  const last = pageRows.at(-1);
  return {
    messages: pageRows.map((row: Record<string, unknown>) => em.map(Message, row)),
    total,
    next: rows.length > position.pageSize && last ? { key: last.sort_key as string, id: Number(last.id) } : null,
  };
}

export interface HistoryEntry {
  event: ConversationEvent;
  noteBody: string | null;
}

/** A conversation's status changes, assignments and notes, oldest first. */
export async function conversationHistory(em: EntityManager, conversationId: number, page: Page): Promise<{ entries: HistoryEntry[]; total: number }> {
  const [rows, [{ total }]] = await Promise.all([
    em.execute(
      `select e.*, m.body as note_body from conversation_events e left join messages m on m.id = e.message_id
       where e.conversation_id = ? order by e.id limit ? offset ?`,
      [conversationId, page.pageSize, (page.page - 1) * page.pageSize],
    ),
    em.execute('select count(*)::int as total from conversation_events where conversation_id = ?', [conversationId]),
  ]);
  return {
    entries: rows.map((row: Record<string, unknown>) => ({ event: em.map(ConversationEvent, row), noteBody: (row.note_body as string | null) ?? null })),
    total,
  };
}

/** Marks where a snippet's match starts and ends; the API escapes the text and turns these into tags. */
export const HIGHLIGHT = { start: '\u0002', stop: '\u0003' } as const;

export interface SearchHit {
  message: Message;
  rank: number;
  snippet: string;
}

/**
 * Messages of one conversation that match `q`: its words in the text (ranked, with highlighted
 * snippets) or `q` within the from/to address. Best match first, then newest.
 */
export async function searchConversationMessages(em: EntityManager, conversationId: number, q: string, page: Page): Promise<{ hits: SearchHit[]; total: number }> {
  const address = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
  const matches = `m.conversation_id = ? and (m.search_vector @@ query or m.from_address ilike ? or m.to_address ilike ?)`;
  const query = `websearch_to_tsquery('${TEXT_SEARCH_CONFIG}', ?) as query`;
  return withSearchTimeout(em, true, async (reader) => {
    const [rows, [{ total }]] = await Promise.all([
      reader.execute(
        `select hit.*, ts_headline('${TEXT_SEARCH_CONFIG}', coalesce(hit.body, hit.subject, ''), hit.query,
           'StartSel=${HIGHLIGHT.start}, StopSel=${HIGHLIGHT.stop}, MaxWords=35, MinWords=15') as snippet
         from (select m.*, q.query, ts_rank_cd(m.search_vector, q.query) as rank
               from messages m, (select ${query}) q where ${matches}
               order by rank desc, m.created_at desc, m.id desc limit ? offset ?) hit
         order by hit.rank desc, hit.created_at desc, hit.id desc`,
        [q, conversationId, address, address, page.pageSize, (page.page - 1) * page.pageSize],
      ),
      reader.execute(`select count(*)::int as total from messages m, (select ${query}) q where ${matches}`, [q, conversationId, address, address]),
    ]);
    return {
      hits: rows.map((row: Record<string, unknown>) => ({ message: reader.map(Message, row), rank: Number(row.rank), snippet: row.snippet as string })),
      total,
    };
  });
}
