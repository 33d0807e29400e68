import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, Conversation } from '../entities';

export interface Page {
  page: number;
  pageSize: number;
}

export interface ClientFilter {
  q?: string;
  locationId?: number;
  /** true: opted out of SMS or email; false: of neither. */
  optedOut?: boolean;
}

export interface ClientTotals {
  conversations: number;
  openConversations: number;
  unread: number;
  messages: number;
  messagesInbound: number;
  messagesOutbound: number;
}

export interface ClientProfile {
  client: Client;
  conversations: Conversation[];
  totals: ClientTotals;
}

/** Conversations shown on a profile; the totals still count them all. */
const PROFILE_CONVERSATION_LIMIT = 100;

/** SQL true for a conversation (row under `alias`) that still wants attention: neither resolved nor archived. */
export function openConversation(alias: string): string {
  return `${alias}.status not in ('RESOLVED', 'ARCHIVED')`;
}

interface Condition {
  sql: string;
  params: unknown[];
}

/** A LIKE pattern that finds `text` anywhere, its `%`, `_` and `\` taken literally (`\` is LIKE's default escape). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Matches a person (client or staff row under `alias`) whose first, last or full name or email
 * contains `q`, or, when `q` reads as part of a phone number, whose phone digits contain its digits.
 */
export function personMatches(alias: string, q: string): Condition {
  const pattern = containsPattern(q);
  const clauses = [`(${alias}.first_name || ' ' || ${alias}.last_name) ilike ?`, `${alias}.email ilike ?`];
  const params: unknown[] = [pattern, pattern];
  const digits = q.replace(/\D/g, '');
  if (digits && /^[\d\s()+.-]+$/.test(q)) {
    clauses.push(`regexp_replace(${alias}.phone, '[^0-9]', '', 'g') like ?`);
    params.push(`%${digits}%`);
  }
  return { sql: `(${clauses.join(' or ')})`, params };
}

function clientConditions(businessId: number, filter: ClientFilter): Condition {
  const parts: Condition[] = [{ sql: 'c.business_id = ?', params: [businessId] }];
  if (filter.q) parts.push(personMatches('c', filter.q));
  if (filter.locationId !== undefined) parts.push({ sql: 'c.location_id = ?', params: [filter.locationId] });
  if (filter.optedOut === true) parts.push({ sql: '(c.sms_opt_out or c.email_opt_out)', params: [] });
  if (filter.optedOut === false) parts.push({ sql: 'not c.sms_opt_out and not c.email_opt_out', params: [] });
  return { sql: parts.map((p) => p.sql).join(' and '), params: parts.flatMap((p) => p.params) };
}

/** One page of a business's clients by last name, first name and id, and how many match in all. */
export async function searchClients(em: EntityManager, businessId: number, filter: ClientFilter, page: Page): Promise<{ clients: Client[]; total: number }> {
  const where = clientConditions(businessId, filter);
  const [counted, rows] = await Promise.all([
    em.execute(`select count(*)::int as total from clients c where ${where.sql}`, where.params),
    em.execute(
      `select c.* from clients c where ${where.sql}
       order by lower(c.last_name), lower(c.first_name), c.id
       limit ? offset ?`,
      [...where.params, page.pageSize, (page.page - 1) * page.pageSize],
    ),
  ]);
  return { clients: rows.map((row: Record<string, unknown>) => em.map(Client, row)), total: counted[0].total };
}

/** A client of the business with their latest conversations and the counts over all of them, or null. */
export async function clientProfile(em: EntityManager, businessId: number, clientId: number): Promise<ClientProfile | null> {
  const client = await em.findOne(Client, { id: clientId, businessId });
  if (!client) return null;
  const [conversationRows, [totals]] = await Promise.all([
    em.execute(
      `select * from conversations where business_id = ? and client_id = ?
       order by coalesce(last_message_at, created_at) desc, id desc
       limit ?`,
      [businessId, clientId, PROFILE_CONVERSATION_LIMIT],
    ),
    em.execute(
      `with own as (select id, status, unread_count from conversations where business_id = ? and client_id = ?)
       select
         (select count(*) from own)::int as conversations,
         (select count(*) from own where ${openConversation('own')})::int as open_conversations,
         (select coalesce(sum(unread_count), 0) from own)::int as unread,
         count(*)::int as messages,
         (count(*) filter (where m.direction = 'inbound'))::int as messages_inbound,
         (count(*) filter (where m.direction = 'outbound'))::int as messages_outbound
       from messages m where m.conversation_id in (select id from own)`,
      [businessId, clientId],
    ),
  ]);
  return {
    client,
    conversations: conversationRows.map((row: Record<string, unknown>) => em.map(Conversation, row)),
    totals: {
      conversations: totals.conversations,
      openConversations: totals.open_conversations,
      unread: totals.unread,
      messages: totals.messages,
      messagesInbound: totals.messages_inbound,
      messagesOutbound: totals.messages_outbound,
    },
  };
}
