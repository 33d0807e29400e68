import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Message, MessageStatusEvent } from './entities';
import type { MessageStatus } from './message-status';

export interface DeliveryReport {
  provider: MessageStatusEvent['provider'];
  channel: Message['channel'];
  messageId?: number;
  providerMessageId?: string;
  providerEventId?: string;
  rawStatus: string;
  /** Our status word for the provider's, or null for news that changes no status. */
  status: MessageStatus | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  occurredAt?: Date | null;
  payload: Record<string, unknown>;
}

export interface RecordedReport {
  event: MessageStatusEvent | null;
  message: Message | null;
  /** The provider sent this very event before (same event id): nothing was stored. */
  duplicate: boolean;
}

/**
 * Serializes, per provider message id, recording news with adopting waiting news. Without it a
 * callback could look for its message just before the send stored the provider id, and insert
 * its event just after the adoption ran, and wait forever.
 */
async function lockProviderMessage(em: EntityManager, provider: string, providerMessageId: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [providerMessageLockKey(provider, providerMessageId)]);
}

export const providerMessageLockKey = (provider: string, providerMessageId: string) => `${provider}:${providerMessageId}`;

/**
 * Keeps a provider's delivery news as an event, whatever it says. The message it belongs to may
 * not know its provider id yet; the event then waits for it (see adoptWaitingEvents).
 */
export async function recordDeliveryReport(em: EntityManager, report: DeliveryReport): Promise<RecordedReport> {
  return em.transactional((tx) => recordIn(tx, report, false));
}

/**
 * recordDeliveryReport and applyDeliveryEvents in one transaction, for news applied where it
 * arrives: one lock, one commit and one read of the message fewer than the two steps apart.
 */
export async function recordAndApplyDeliveryReport(em: EntityManager, report: DeliveryReport): Promise<RecordedReport> {
  return em.transactional(async (tx) => {
    const recorded = await recordIn(tx, report, true);
    if (recorded.event && recorded.message) await applyLockedEvents(tx, [recorded.message]);
    return recorded;
  });
}

/** With `lockMessage`, the message row is locked as applyDeliveryEventsOf would lock it (after the advisory lock, as always). */
async function recordIn(tx: EntityManager, report: DeliveryReport, lockMessage: boolean): Promise<RecordedReport> {
  if (report.providerMessageId) await lockProviderMessage(tx, report.provider, report.providerMessageId);
  const lock = lockMessage ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {};
  const message = report.messageId
    ? await tx.findOne(Message, { id: report.messageId }, lock)
    : report.providerMessageId
      ? await tx.findOne(Message, { channel: report.channel, providerMessageId: report.providerMessageId }, lock)
      : null;
  const rows = await tx.execute(
    `insert into message_status_events (message_id, provider, provider_message_id, provider_event_id, status, raw_status,
       error_code, error_message, payload, occurred_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)
     on conflict (provider, provider_event_id) where provider_event_id is not null do nothing
     returning *`,
    [
      message?.id ?? null,
      report.provider,
      report.providerMessageId ?? message?.providerMessageId ?? null,
      ...eventValues(report),
    ],
  );
  const event = rows.length > 0 ? tx.map(MessageStatusEvent, rows[0]) : null;
  return { event, message, duplicate: event === null };
}

/** An event row's columns from provider_event_id to occurred_at, as both ways of keeping news insert them. */
export function eventValues(report: DeliveryReport): unknown[] {
  return [
    report.providerEventId ?? null,
    report.status,
    report.rawStatus,
    report.errorCode ?? null,
    report.errorMessage ?? null,
    JSON.stringify(report.payload),
    report.occurredAt ?? null,
  ];
}

/**
 * Attaches events that arrived before their message's provider id was known. Call it after the
 * provider id is committed. Returns how many.
 */
export async function adoptWaitingEvents(em: EntityManager, message: Message, provider: MessageStatusEvent['provider']): Promise<number> {
  const providerMessageId = message.providerMessageId;
  if (!providerMessageId) return 0;
  return em.transactional(async (tx) => {
    await lockProviderMessage(tx, provider, providerMessageId);
    const result = await tx.execute<{ affectedRows: number }>(
      `update message_status_events set message_id = ? where provider = ? and provider_message_id = ? and message_id is null`,
      [message.id, provider, providerMessageId],
      'run',
    );
    return result.affectedRows;
  });
}

/**
 * Applies every not-yet-applied event of a message, in the order the provider says they
 * happened, under a row lock so that concurrent appliers serialize. Monotonic: an event that
 * would move the message backwards is marked applied and changes nothing.
 */
export async function applyDeliveryEvents(em: EntityManager, messageId: number): Promise<Message> {
  const [message] = await applyDeliveryEventsOf(em, [messageId]);
  if (!message) throw new Error(`message ${messageId} not found`);
  return message;
}

/**
 * applyDeliveryEvents for many messages at once (a webhook batch): three statements and one
 * flush whatever their number. Rows are locked in id order, so concurrent batches cannot deadlock.
 */
export async function applyDeliveryEventsOf(em: EntityManager, messageIds: number[]): Promise<Message[]> {
  const ids = [...new Set(messageIds)].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  return em.transactional(async (tx) => {
    const messages = await tx.find(Message, { id: { $in: ids } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    await applyLockedEvents(tx, messages);
    return messages;
  });
}

/** Applies the waiting events of messages whose rows this transaction has locked; its commit flushes them. */
async function applyLockedEvents(tx: EntityManager, messages: Message[]): Promise<void> {
  const byId = new Map(messages.map((m) => [m.id, m]));
  // Read-only: the events are marked applied in one statement below, not flushed one by one.
  const events = await tx.find(
    MessageStatusEvent,
    { messageId: { $in: [...byId.keys()] }, appliedAt: null },
    { orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }], fields: ['messageId', 'status', 'occurredAt', 'receivedAt', 'errorCode', 'errorMessage'], disableIdentityMap: true },
  );
  for (const event of events) {
    const message = byId.get(event.messageId!);
    if (message && event.status) {
      message.applyDelivery({
        status: event.status,
        at: event.occurredAt ?? event.receivedAt,
        errorCode: event.errorCode,
        errorMessage: event.errorMessage,
      });
    }
  }
  if (events.length > 0) await tx.nativeUpdate(MessageStatusEvent, { id: { $in: events.map((e) => e.id) } }, { appliedAt: new Date() });
}
