import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, Conversation } from '../entities';
import { allOf, pageOfPeople, personMatches, type Condition, type Page } from './people';

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

function clientConditions(businessId: number, filter: ClientFilter): Condition {
  const parts: Condition[] = [{ sql: 'c.business_id = ?', params: [businessId] }];
  if (filter.q) parts.push(personMatches('c', filter.q));
  if (filter.locationId !== undefined) parts.push({ sql: 'c.location_id = ?', params: [filter.locationId] });
  if (filter.optedOut === true) parts.push({ sql: '(c.sms_opt_out or c.email_opt_out)', params: [] });
  if (filter.optedOut === false) parts.push({ sql: 'not c.sms_opt_out and not c.email_opt_out', params: [] });
  return allOf(parts);
}

/** One page of a business's clients by last name, first name and id, and how many match in all. */
export async function searchClients(em: EntityManager, businessId: number, filter: ClientFilter, page: Page): Promise<{ clients: Client[]; total: number }> {
  const { rows, total } = await pageOfPeople(em, 'clients', 'c', clientConditions(businessId, filter), page);
  return { clients: rows.map((row) => em.map(Client, row)), total };
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
