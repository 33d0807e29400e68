import type { EntityManager } from '@mikro-orm/postgresql';
import { countNewMessage } from './conversations';
import { Client, Conversation, Location, Message } from './entities';
import type { Channel } from './message-status';
import { pgArray } from './sql';

export interface Recipient {
  clientId?: number;
  /** E.164 phone (sms) or lower-cased address (email). */
  to?: string;
}

export interface SendDraft {
  businessId: number;
  channel: Extract<Channel, 'sms' | 'email'>;
  requestId: string;
  requestHash: string;
  fromAddress: string;
  locationId?: number | null;
  staffId?: number | null;
  body?: string | null;
  subject?: string | null;
  html?: string | null;
  replyTo?: string | null;
  mediaUrls: string[];
  sendAt?: Date | null;
  category?: Message['category'];
}

export class RecipientNotFound extends Error {
  constructor(readonly index: number, readonly clientId: number) {
    super(`client ${clientId} not found`);
  }
}

export class RecipientUnreachable extends Error {
  constructor(readonly index: number, readonly clientId: number) {
    super(`client ${clientId} has no address for this channel`);
  }
}

export class RequestConflict extends Error {}

/** The messages already created under a request id, or [] for a new request. */
export async function findRequestMessages(em: EntityManager, businessId: number | undefined, requestId: string): Promise<Message[]> {
  const where = businessId === undefined ? { requestId } : { businessId, requestId };
  return em.find(Message, where, { orderBy: { id: 'asc' } });
}

export function assertSameRequest(messages: Message[], requestHash: string): void {
  if (messages.some((m) => m.requestHash !== requestHash)) {
    throw new RequestConflict('request_id was already used with a different request body');
  }
}

/**
 * Finds the clients a send goes to, creating those known only by address. Runs as a few set
 * queries whatever the number of recipients, and is safe against concurrent creation.
 */
export async function resolveClients(em: EntityManager, businessId: number, channel: 'sms' | 'email', recipients: Recipient[]): Promise<Client[]> {
  const column = channel === 'sms' ? 'phone' : 'email';
  const byId = recipients.filter((r) => r.clientId !== undefined).map((r) => r.clientId!);
  const addresses = [...new Set(recipients.filter((r) => r.clientId === undefined).map((r) => r.to!))];

  if (addresses.length > 0) {
    const conflictTarget = channel === 'sms' ? '(business_id, phone) where phone is not null' : '(business_id, lower(email)) where email is not null';
    await em.execute(
      `insert into clients (business_id, ${column}) select ?, unnest(?::text[]) on conflict ${conflictTarget} do nothing`,
      [businessId, pgArray(addresses)],
    );
  }
  const rows = await em.execute(
    `select * from clients where business_id = ? and (id = any(?::bigint[]) or ${channel === 'sms' ? 'phone' : 'lower(email)'} = any(?::text[]))`,
    [businessId, pgArray(byId), pgArray(addresses)],
  );
  const clients = rows.map((row: Record<string, unknown>) => em.map(Client, row));
  const foundById = new Map(clients.map((c) => [c.id, c]));
  const foundByAddress = new Map(clients.map((c) => [channel === 'sms' ? c.phone : c.email?.toLowerCase(), c]));

  return recipients.map((r, index) => {
    if (r.clientId === undefined) return foundByAddress.get(r.to!)!;
    const client = foundById.get(r.clientId);
    if (!client) throw new RecipientNotFound(index, r.clientId);
    if (!(channel === 'sms' ? client.phone : client.email)) throw new RecipientUnreachable(index, r.clientId);
    return client;
  });
}

/** Each client's open conversation, opened where there is none, and the ids of those opened now. */
export async function openConversations(
  em: EntityManager,
  businessId: number,
  clients: Client[],
  locationId?: number | null,
): Promise<{ byClient: Map<number, Conversation>; openedIds: number[] }> {
  const ids = [...new Set(clients.map((c) => c.id))];
  const opened = await em.execute(
    `insert into conversations (business_id, client_id, location_id)
     select ?, c.id, coalesce(?::bigint, c.location_id) from clients c where c.id = any(?::bigint[])
     on conflict (client_id) where status <> 'ARCHIVED' do nothing
     returning id`,
    [businessId, locationId ?? null, pgArray(ids)],
  );
  const rows = await em.execute(`select * from conversations where client_id = any(?::bigint[]) and status <> 'ARCHIVED'`, [pgArray(ids)]);
  return {
    byClient: new Map(rows.map((row: Record<string, unknown>) => [Number(row.client_id), em.map(Conversation, row)])),
    openedIds: opened.map((row) => Number(row.id)),
  };
}

/**
 * Inserts one message per recipient under the request id. A message that a concurrent request
 * created first is kept as it is: the unique (business, request, recipient) key decides.
 * Returns every message of the request and how many of them this call created.
 */
export async function insertOutboundMessages(
  em: EntityManager,
  draft: SendDraft,
  recipients: { client: Client; conversation: Conversation; to: string; optedOut: boolean }[],
): Promise<{ messages: Message[]; created: number }> {
  const now = new Date();
  const scheduled = draft.sendAt && draft.sendAt > now;
  const rows = recipients.map(({ client, conversation, to, optedOut }) => ({
    business_id: draft.businessId,
    conversation_id: conversation.id,
    client_id: client.id,
    channel: draft.channel,
    direction: 'outbound',
    status: optedOut ? 'CANCELED' : scheduled ? 'SCHEDULED' : 'PENDING',
    error_code: optedOut ? 'OPTED_OUT' : null,
    error_message: optedOut ? `recipient has opted out of ${draft.channel}` : null,
    body: draft.body ?? null,
    subject: draft.subject ?? null,
    html: draft.html ?? null,
    reply_to: draft.replyTo ?? null,
    from_address: draft.fromAddress,
    to_address: to,
    media_urls: draft.mediaUrls,
    request_id: draft.requestId,
    request_hash: draft.requestHash,
    staff_id: draft.staffId ?? null,
    send_at: draft.sendAt ?? null,
    category: draft.category ?? 'standard',
    created_at: now,
    updated_at: now,
  }));
  const inserted = await em.execute(
    `insert into messages (business_id, conversation_id, client_id, channel, direction, status, error_code, error_message,
       body, subject, html, reply_to, from_address, to_address, media_urls, request_id, request_hash, staff_id, send_at, category, created_at, updated_at)
     select * from jsonb_to_recordset(?::jsonb) as r(business_id bigint, conversation_id bigint, client_id bigint, channel text,
       direction text, status text, error_code text, error_message text, body text, subject text, html text, reply_to text, from_address text,
       to_address text, media_urls jsonb, request_id text, request_hash text, staff_id bigint, send_at timestamptz,
       category text, created_at timestamptz, updated_at timestamptz)
     on conflict (business_id, request_id, to_address) where request_id is not null do nothing
     returning id`,
    [JSON.stringify(rows)],
  );
  await countNewMessage(em, [...new Set(recipients.map((r) => r.conversation.id))], {
    body: draft.body,
    subject: draft.subject,
    channel: draft.channel,
    direction: 'outbound',
    at: now,
    unread: false,
  });
  return { messages: await findRequestMessages(em, draft.businessId, draft.requestId), created: inserted.length };
}

/** The number a business sends SMS from: the given location's, the client's location's, or its first. */
export async function sendingNumber(em: EntityManager, businessId: number, locationId?: number | null): Promise<Location | null> {
  if (locationId) return em.findOne(Location, { id: locationId, businessId, phoneNumber: { $ne: null } });
  return em.findOne(Location, { businessId, phoneNumber: { $ne: null } }, { orderBy: { id: 'asc' } });
}

/**
 * Cancels a message that still waits for its send_at. One conditional statement: a message that
 * has become due (see the send's preparation) or is past the provider cannot be canceled, and
 * exactly one of the two wins. Returns whether this call canceled it.
 */
export async function cancelScheduledMessage(em: EntityManager, messageId: number): Promise<boolean> {
  const canceled = await em.execute(
    `update messages set status = 'CANCELED', error_code = 'CANCELED', error_message = 'canceled before its send_at', updated_at = now()
     where id = ? and status = 'SCHEDULED' and provider_message_id is null returning id`,
    [messageId],
  );
  return canceled.length > 0;
}
