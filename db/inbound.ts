import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallLog } from './call-log';
import { keywordIntent, recordConsent, type KeywordIntent } from './consent';
import { countNewMessage } from './conversations';
import { Business, Client, Conversation, Message } from './entities';
import { insertOutboundMessages } from './sends';
import type { MessageStatus } from './message-status';
import { pgArray } from './sql';

/** A message from any channel to record: one a client sent us, or one sent outside omega that belongs in the timeline. */
export interface ProcessedMessage {
  channel: 'sms' | 'email' | 'voice';
  direction: 'inbound' | 'outbound';
  providerMessageId: string;
  /** E.164 phones for sms and voice, addresses for email. */
  from: string;
  to: string;
  body?: string | null;
  subject?: string | null;
  html?: string | null;
  mediaUrls: string[];
  /** ISO time the provider received or sent it. */
  at: string;
  /** Known when the API names it; for provider webhooks found by our side's number or address. */
  businessId?: number;
  staffId?: number | null;
  /** Recorded with a status of its own (say DELIVERED) instead of RECEIVED / RECORDED. */
  status?: MessageStatus;
  /** ISO time it was sent, for an outbound message sent elsewhere. */
  sentAt?: string | null;
  /** The idempotency key of an API record call, kept like a send's. */
  requestId?: string | null;
  requestHash?: string | null;
  /** Voice: what is known of the call when it is first logged. */
  call?: CallLog | null;
}

export interface StoredMessage {
  businessId: number;
  messageId: number;
  conversationId: number;
  clientId: number;
  /** False when the provider's message was stored before: a replay. */
  created: boolean;
  conversationOpened: boolean;
  /** An inbound SMS that was a consent or help keyword. */
  keyword: KeywordIntent | null;
}

/** Finds the business a message belongs to by our side of it: the location number (sms, voice) or sender address (email). */
async function businessOf(em: EntityManager, message: ProcessedMessage): Promise<number | null> {
  if (message.businessId !== undefined) return (await em.findOne(Business, { id: message.businessId })) ? message.businessId : null;
  const ours = message.direction === 'inbound' ? message.to : message.from;
  const [row] =
    message.channel === 'email'
      ? await em.execute('select id as business_id from businesses where lower(email_from_address) = lower(?) order by id limit 1', [ours])
      : await em.execute('select business_id from locations where phone_number = ? limit 1', [ours]);
  return row ? Number(row.business_id) : null;
}

/**
 * Records a processed message: the client (found or created by address, phone normalised by the
 * caller), their open conversation (found or opened), the message itself (once per provider
 * id: a replay finds the first), its count into the conversation and, for an inbound SMS that
 * is a keyword, the consent change. All in one transaction. Null when no business has our side's
 * number, or another business already holds that provider id.
 */
export async function storeProcessedMessage(em: EntityManager, message: ProcessedMessage): Promise<StoredMessage | null> {
  return em.transactional(async (tx) => {
    const businessId = await businessOf(tx, message);
    if (businessId === null) return null;
    const existing = await tx.findOne(Message, { channel: message.channel, providerMessageId: message.providerMessageId });
    // Provider ids are unique across the provider; one another business holds is not this message.
    if (existing && existing.businessId !== businessId) return null;
    if (existing) {
      return {
        businessId: existing.businessId,
        messageId: existing.id,
        conversationId: existing.conversationId!,
        clientId: existing.clientId!,
        created: false,
        conversationOpened: false,
        keyword: null,
      };
    }

    const counterpart = message.direction === 'inbound' ? message.from : message.to;
    const byEmail = message.channel === 'email';
    const address = byEmail ? counterpart.toLowerCase() : counterpart;
    await tx.execute(
      byEmail
        ? `insert into clients (business_id, email) values (?, ?) on conflict (business_id, lower(email)) where email is not null do nothing`
        : `insert into clients (business_id, phone) values (?, ?) on conflict (business_id, phone) where phone is not null do nothing`,
      [businessId, address],
    );
    const [client] = await tx.execute(
      `select id, location_id from clients where business_id = ? and ${byEmail ? 'lower(email)' : 'phone'} = ?`,
      [businessId, address],
    );
    const [location] = byEmail ? [] : await tx.execute('select id from locations where business_id = ? and phone_number = any(?::text[])', [businessId, pgArray([message.from, message.to])]);
    const opened = await tx.execute(
      `insert into conversations (business_id, client_id, location_id) values (?, ?, coalesce(?::bigint, ?::bigint))
       on conflict (client_id) where status <> 'ARCHIVED' do nothing returning id`,
      [businessId, client.id, location?.id ?? null, client.location_id ?? null],
    );
    const [conversation] = await tx.execute(`select id from conversations where client_id = ? and status <> 'ARCHIVED'`, [client.id]);

    const at = new Date(message.at);
    const stored = tx.create(Message, {
      businessId,
      conversationId: Number(conversation.id),
      clientId: Number(client.id),
      channel: message.channel,
      direction: message.direction,
      status: message.status ?? (message.direction === 'inbound' ? 'RECEIVED' : 'RECORDED'),
      sentAt: message.sentAt ? new Date(message.sentAt) : null,
      requestId: message.requestId ?? null,
      requestHash: message.requestHash ?? null,
      body: message.body ?? null,
      subject: message.subject ?? null,
      html: message.html ?? null,
      fromAddress: message.from,
      toAddress: message.to,
      providerMessageId: message.providerMessageId,
      mediaUrls: message.mediaUrls,
      staffId: message.staffId ?? null,
      call: message.call ?? null,
      isRead: message.direction !== 'inbound',
      createdAt: at,
      updatedAt: at,
    });
    await tx.flush();
    await countNewMessage(tx, [stored.conversationId!], {
      body: stored.body,
      subject: stored.subject,
      channel: message.channel,
      direction: message.direction,
      at,
      unread: message.direction === 'inbound',
    });

    const keyword = message.direction === 'inbound' && message.channel === 'sms' ? keywordIntent(message.body) : null;
    if (keyword === 'opt_out' || keyword === 'opt_in') {
      await recordConsent(tx, { businessId, channel: 'sms', address, action: keyword, source: 'keyword', keyword: message.body!.trim(), messageId: stored.id });
    }
    return {
      businessId,
      messageId: stored.id,
      conversationId: stored.conversationId!,
      clientId: Number(client.id),
      created: true,
      conversationOpened: opened.length > 0,
      keyword,
    };
  });
}

const REPLIES: Record<KeywordIntent, (business: Business) => string> = {
  opt_out: (b) => `${b.name}: You are unsubscribed and will get no more messages from us. Reply START to resubscribe.`,
  opt_in: (b) => `${b.name}: You are resubscribed to our messages. Reply STOP to unsubscribe, HELP for help.`,
  help: (b) =>
    typeof b.settings.sms_help_text === 'string' && b.settings.sms_help_text.trim() !== ''
      ? b.settings.sms_help_text
      : `${b.name}: Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.`,
};

/**
 * The answer to a keyword, as an outbound compliance message of the same conversation (it goes
 * out even to a number that just opted out). Keyed by the inbound message, so asking again after
 * a replay finds the same reply.
 */
export async function queueKeywordReply(em: EntityManager, stored: StoredMessage, keyword: KeywordIntent, inbound: Pick<ProcessedMessage, 'providerMessageId' | 'from' | 'to'>): Promise<Message> {
  const business = await em.findOneOrFail(Business, { id: stored.businessId });
  const client = await em.findOneOrFail(Client, { id: stored.clientId });
  const conversation = await em.findOneOrFail(Conversation, { id: stored.conversationId });
  const { messages } = await em.transactional((tx) =>
    insertOutboundMessages(
      tx,
      {
        businessId: business.id,
        channel: 'sms',
        requestId: `keyword-reply-${inbound.providerMessageId}`,
        requestHash: `keyword-reply:${keyword}`,
        fromAddress: inbound.to,
        body: REPLIES[keyword](business),
        mediaUrls: [],
        category: 'compliance',
      },
      [{ client, conversation, to: inbound.from, optedOut: false }],
    ),
  );
  return messages[0];
}
