import type { ClientBase, Pool } from 'pg';
import { eventValues, providerMessageLockKey, type DeliveryReport } from './delivery';
import { Message } from './entities';
import { inTransaction, withPoolClient } from './pg';
import { MESSAGE_STATUSES, isFinal, type MessageStatus } from './message-status';

/**
 * The delivery outbox in plain SQL: news is kept with one statement and passed on later (see
 * api/delivery-drainer.ts), so a provider's callback is answered without the ORM or Temporal;
 * kept news is applied here too, by the drainer and by the send workflow's activity.
 */

export interface KeptEvent {
  id: number;
  /** Null while no message has the provider's id (the event waits for it, see adoptWaitingEvents). */
  messageId: number | null;
}

/** A provider's news about a message it knows by its own id. */
export type KeptReport = DeliveryReport & { providerMessageId: string };

const FINAL_STATUSES = MESSAGE_STATUSES.filter(isFinal);
/** As literals, for a query that must match the predicate of messages_awaited_final_idx. */
const FINAL_STATUS_LIST = FINAL_STATUSES.map((status) => `'${status}'`).join(', ');

const KEEP_EVENT = {
  name: 'delivery-outbox-keep',
  text: `insert into message_status_events (message_id, provider, provider_message_id, provider_event_id, status, raw_status,
           error_code, error_message, payload, occurred_at)
         select (select id from messages where channel = $2 and provider_message_id = $3), $1, $3, $4, $5, $6, $7, $8, $9::jsonb, $10
         on conflict (provider, provider_event_id) where provider_event_id is not null do nothing
         returning id, message_id`,
};

/** Keeps news as an event, not yet applied; null when the provider sent this very event before. */
export async function keepDeliveryEvent(pool: Pool, report: KeptReport): Promise<KeptEvent | null> {
  const { rows } = await pool.query<{ id: string; message_id: string | null }>({
    ...KEEP_EVENT,
    values: [report.provider, report.channel, report.providerMessageId, ...eventValues(report)],
  });
  if (rows.length === 0) return null;
  return { id: Number(rows[0].id), messageId: rows[0].message_id === null ? null : Number(rows[0].message_id) };
}

/**
 * Gives a just-kept event without a message the message that has its provider id by now, if one
 * does. keepDeliveryEvent looks its message up without the provider-id lock, so a send may have
 * stored the id and adopted the waiting events between that look and the insert's commit; taking
 * the lock here, after the commit, closes that gap as recordDeliveryReport's lock does.
 */
export async function adoptKeptEvent(pool: Pool, event: KeptEvent, report: KeptReport): Promise<KeptEvent> {
  const rows = await withPoolClient(pool, (client) =>
    inTransaction(client, async () => {
      await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [providerMessageLockKey(report.provider, report.providerMessageId)]);
      const adopted = await client.query<{ message_id: string }>(
        `update message_status_events e set message_id = m.id from messages m
          where e.id = $1 and e.message_id is null and m.channel = $2 and m.provider_message_id = e.provider_message_id
          returning e.message_id`,
        [event.id, report.channel],
      );
      return adopted.rows;
    }),
  );
  return rows.length > 0 ? { id: event.id, messageId: Number(rows[0].message_id) } : event;
}

interface NewsRow {
  message_id: string;
  event_ids: string[];
  final_event_id: string | null;
  final_status: MessageStatus | null;
}

/** An event that can end the send its message's workflow waits on (e: the events, m: their messages). */
const ENDS_AWAITED_SEND = 'm.awaiting_delivery and e.status = any($1::text[])';

/** Per message, its events among those selected and the last of them that ENDS_AWAITED_SEND. */
const NEWS_COLUMNS = `e.message_id, array_agg(e.id) as event_ids,
  (array_agg(e.id order by e.id desc) filter (where ${ENDS_AWAITED_SEND}))[1] as final_event_id,
  (array_agg(e.status order by e.id desc) filter (where ${ENDS_AWAITED_SEND}))[1] as final_status`;

/** What one message has heard and nobody passed on yet: its events, and the last that can end its send. */
export interface PendingNews {
  messageId: number;
  eventIds: number[];
  /** Only while a send workflow waits on the message: news to wake it with. */
  final?: { eventId: number; status: MessageStatus };
}

function newsOf(rows: NewsRow[]): PendingNews[] {
  return rows.map((row) => ({
    messageId: Number(row.message_id),
    eventIds: row.event_ids.map(Number),
    ...(row.final_event_id !== null && { final: { eventId: Number(row.final_event_id), status: row.final_status! } }),
  }));
}

/**
 * The news in these just-kept events, per message with one. News that can end a send its
 * workflow waits for is news even when other news of its message, kept alongside, applied it
 * already: each final callback wakes that workflow, as takeDeliveryReport's does; the rest only
 * while unapplied.
 */
export async function newsOfKeptEvents(pool: Pool | ClientBase, eventIds: number[]): Promise<PendingNews[]> {
  const { rows } = await pool.query<NewsRow>({
    name: 'delivery-outbox-news-of',
    text: `select ${NEWS_COLUMNS} from message_status_events e join messages m on m.id = e.message_id
            where e.id = any($2::bigint[])
            group by e.message_id
           having bool_or(e.applied_at is null) or bool_or(${ENDS_AWAITED_SEND})`,
    values: [FINAL_STATUSES, eventIds],
  });
  return newsOf(rows);
}

/**
 * News kept at least `olderThanMs` ago and still not applied: left by a process that stopped
 * before passing it on, or by a path that passes news on itself and has not yet. Oldest first.
 */
export async function unappliedNewsLeftBehind(pool: Pool | ClientBase, olderThanMs: number, limit: number): Promise<PendingNews[]> {
  const { rows } = await pool.query<NewsRow>({
    name: 'delivery-outbox-left-behind',
    // `message_id is not null`, implied by the join, lets the planner use the partial index of unapplied events.
    text: `select ${NEWS_COLUMNS} from message_status_events e join messages m on m.id = e.message_id
            where e.applied_at is null and e.message_id is not null and e.received_at < now() - make_interval(secs => $2)
            group by e.message_id order by min(e.received_at) limit $3`,
    values: [FINAL_STATUSES, olderThanMs / 1000, limit],
  });
  return newsOf(rows);
}

/**
 * Sends whose final news was applied at least `olderThanMs` ago while their workflow still waits
 * for it: the process that applied it stopped before the workflow heard. Their news is the
 * message's last event, to tell the workflow again. Oldest first.
 */
export async function finalNewsUnheard(pool: Pool | ClientBase, olderThanMs: number, limit: number): Promise<PendingNews[]> {
  const { rows } = await pool.query<NewsRow>({
    name: 'delivery-outbox-final-unheard',
    text: `select m.id as message_id, array[]::bigint[] as event_ids, m.status as final_status,
                  (select max(e.id) from message_status_events e where e.message_id = m.id) as final_event_id
             from messages m
            where m.awaiting_delivery and m.status in (${FINAL_STATUS_LIST}) and m.updated_at < now() - make_interval(secs => $1)
            order by m.updated_at limit $2`,
    values: [olderThanMs / 1000, limit],
  });
  return newsOf(rows);
}

/**
 * The send workflows of these messages heard their final news (or had ended): nobody waits on
 * them any more. Only while final, so that a retry's new attempt, waiting again, is left waiting.
 */
export async function stopAwaitingFinal(pool: Pool | ClientBase, messageIds: number[]): Promise<void> {
  await pool.query({
    name: 'delivery-outbox-stop-awaiting',
    text: `update messages set awaiting_delivery = false where id = any($1::bigint[]) and awaiting_delivery and status = any($2::text[])`,
    values: [messageIds, FINAL_STATUSES],
  });
}

/** Timestamps as a `pg` client hands them over: Dates from our pool, text from the ORM's connections. */
type Timestamp = Date | string;

interface MessageRow {
  id: string;
  channel: Message['channel'];
  status: MessageStatus;
  provider_message_id: string | null;
  awaiting_delivery: boolean;
  sent_at: Timestamp | null;
  delivered_at: Timestamp | null;
  error_code: string | null;
  error_message: string | null;
}

interface EventRow {
  id: string;
  message_id: string;
  status: MessageStatus | null;
  at: Timestamp;
  error_code: string | null;
  error_message: string | null;
}

export interface ApplyOptions {
  /**
   * For the send workflow waiting on the messages: it stops waiting once a message is final
   * ('once final'), or now, whatever the status ('now': its deadline passed).
   */
  stopAwaiting?: 'once final' | 'now';
}

/**
 * Applies every not-yet-applied event of these messages, in the order the provider says they
 * happened, under row locks taken in id order (concurrent appliers serialise and cannot
 * deadlock), by the entity's own rule (Message.applyDelivery): monotonic, so an event that would
 * move a message backwards is marked applied and changes nothing. Plain SQL on one connection,
 * four statements and a commit whatever the number of messages: the ORM's work per entity was
 * most of the delivery drainer's time, on the event loop that answers the callbacks, and of the
 * worker's for a send's final news. Returns the messages as they are after it.
 */
export async function applyKeptEvents(client: ClientBase, messageIds: number[], { stopAwaiting }: ApplyOptions = {}): Promise<Message[]> {
  const ids = [...new Set(messageIds)].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  return inTransaction(client, async () => {
    const { rows: messageRows } = await client.query<MessageRow>({
      name: 'delivery-outbox-lock-messages',
      text: `select id, channel, status, provider_message_id, awaiting_delivery, sent_at, delivered_at, error_code, error_message
               from messages where id = any($1::bigint[]) order by id for update`,
      values: [ids],
    });
    const { rows: events } = await client.query<EventRow>({
      name: 'delivery-outbox-unapplied-events',
      text: `select id, message_id, status, coalesce(occurred_at, received_at) as at, error_code, error_message
               from message_status_events where message_id = any($1::bigint[]) and applied_at is null
              order by occurred_at, id`,
      values: [ids],
    });
    const messages = new Map(messageRows.map((row) => [row.id, messageOf(row)]));
    const changed = new Set<Message>();
    for (const event of events) {
      const message = messages.get(event.message_id);
      if (!message || !event.status) continue;
      const moved = message.applyDelivery({ status: event.status, at: new Date(event.at), errorCode: event.error_code, errorMessage: event.error_message });
      if (moved) changed.add(message);
    }
    for (const message of messages.values()) {
      if (message.awaitingDelivery && (stopAwaiting === 'now' || (stopAwaiting === 'once final' && message.hasFinalStatus()))) {
        message.stopAwaitingDelivery();
        changed.add(message);
      }
    }
    if (changed.size > 0) await updateMessages(client, [...changed]);
    if (events.length > 0) {
      await client.query({
        name: 'delivery-outbox-mark-applied',
        text: `update message_status_events set applied_at = now() where id = any($1::bigint[])`,
        values: [events.map((e) => e.id)],
      });
    }
    return [...messages.values()];
  });
}

async function updateMessages(client: ClientBase, messages: Message[]): Promise<void> {
  await client.query({
    name: 'delivery-outbox-update-messages',
    text: `update messages m set status = v.status, awaiting_delivery = v.awaiting_delivery, sent_at = v.sent_at,
             delivered_at = v.delivered_at, error_code = v.error_code, error_message = v.error_message, updated_at = now()
            from unnest($1::bigint[], $2::text[], $3::boolean[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[])
              as v(id, status, awaiting_delivery, sent_at, delivered_at, error_code, error_message)
           where m.id = v.id`,
    values: [
      messages.map((m) => m.id),
      messages.map((m) => m.status),
      messages.map((m) => m.awaitingDelivery),
      messages.map((m) => m.sentAt ?? null),
      messages.map((m) => m.deliveredAt ?? null),
      messages.map((m) => m.errorCode ?? null),
      messages.map((m) => m.errorMessage ?? null),
    ],
  });
}

const dateOf = (value: Timestamp | null): Date | null => (value === null ? null : new Date(value));

/** A message as far as its delivery goes: enough for Message.applyDelivery to decide on, and for a send workflow to report. */
function messageOf(row: MessageRow): Message {
  return Object.assign(new Message(), {
    id: Number(row.id),
    channel: row.channel,
    status: row.status,
    providerMessageId: row.provider_message_id,
    awaitingDelivery: row.awaiting_delivery,
    sentAt: dateOf(row.sent_at),
    deliveredAt: dateOf(row.delivered_at),
    errorCode: row.error_code,
    errorMessage: row.error_message,
  });
}
