import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessageStatus } from './message-status';
import { pgArray } from './sql';

/** The custom arg every email we send carries, so SendGrid's events name their message. */
export const MESSAGE_ID_ARG = 'omega_message_id';

/** What a SendGrid event means for us: a status (or none), and whether it withdraws consent. */
export interface EventMeaning {
  status: MessageStatus | null;
  consent?: 'unsubscribe' | 'spam_report';
}

/**
 * SendGrid's event words in ours. `deferred` says the mail is still queued; clicks, resubscribes
 * and unknown words change no status (they are kept as events all the same).
 */
export function meaningOf(event: string): EventMeaning {
  switch (event) {
    case 'processed':
    case 'deferred':
      return { status: 'QUEUED' };
    case 'delivered':
      return { status: 'DELIVERED' };
    case 'open':
      return { status: 'READ' };
    case 'bounce':
    case 'dropped':
      return { status: 'FAILED' };
    case 'spamreport':
      return { status: null, consent: 'spam_report' };
    case 'unsubscribe':
    case 'group_unsubscribe':
      return { status: null, consent: 'unsubscribe' };
    default:
      return { status: null };
  }
}

/** The X-Message-Id a `sg_message_id` starts with (`<X-Message-Id>.filter…`). */
export function providerIdOf(sgMessageId: string | undefined): string | null {
  const prefix = sgMessageId?.split('.')[0];
  return prefix ? prefix : null;
}

export interface SendGridEventRow {
  providerEventId: string;
  /** Our message id from the event's custom args, when it has one. */
  messageId: number | null;
  providerMessageId: string | null;
  rawStatus: string;
  status: MessageStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
  occurredAt: Date | null;
  payload: Record<string, unknown>;
}

export interface StoredSendGridEvent {
  id: number;
  messageId: number | null;
  providerEventId: string;
  status: MessageStatus | null;
  rawStatus: string;
}

/**
 * Keeps a batch of SendGrid events in one statement: each is matched to its email by the message
 * id in its custom args (when that message is an email and its provider id, if known, agrees),
 * else by provider id; an event already kept (same sg_event_id) is skipped. Returns the events
 * stored now, in batch order. Events whose message is not known yet wait for it (see
 * adoptWaitingEvents), and are adopted here too if the send stored its id meanwhile.
 */
export async function recordSendGridEvents(em: EntityManager, rows: SendGridEventRow[]): Promise<StoredSendGridEvent[]> {
  if (rows.length === 0) return [];
  const input = rows.map((r, idx) => ({
    idx,
    message_id: r.messageId,
    provider_message_id: r.providerMessageId,
    provider_event_id: r.providerEventId,
    status: r.status,
    raw_status: r.rawStatus,
    error_code: r.errorCode,
    error_message: r.errorMessage,
    payload: r.payload,
    occurred_at: r.occurredAt?.toISOString() ?? null,
  }));
  const inserted: Record<string, unknown>[] = await em.execute(
    `insert into message_status_events (message_id, provider, provider_message_id, provider_event_id, status, raw_status,
       error_code, error_message, payload, occurred_at)
     select coalesce(by_id.id, by_provider.id), 'sendgrid', coalesce(i.provider_message_id, by_id.provider_message_id), i.provider_event_id,
       i.status, i.raw_status, i.error_code, i.error_message, i.payload, i.occurred_at
     from jsonb_to_recordset(?::jsonb) as i(idx int, message_id bigint, provider_message_id text, provider_event_id text, status text,
       raw_status text, error_code text, error_message text, payload jsonb, occurred_at timestamptz)
     left join messages by_id on by_id.id = i.message_id and by_id.channel = 'email'
       and (by_id.provider_message_id is null or i.provider_message_id is null or by_id.provider_message_id = i.provider_message_id)
     left join messages by_provider on by_id.id is null and by_provider.channel = 'email' and by_provider.provider_message_id = i.provider_message_id
     order by i.idx
     on conflict (provider, provider_event_id) where provider_event_id is not null do nothing
     returning id, message_id, provider_event_id, status, raw_status`,
    [JSON.stringify(input)],
  );
  const stored = inserted.map(toStored);
  const waiting = stored.filter((e) => e.messageId === null).map((e) => e.id);
  if (waiting.length > 0) {
    // Runs after the insert committed: either the send's adoption saw these rows, or this sees its provider id.
    const adopted: Record<string, unknown>[] = await em.execute(
      `update message_status_events e set message_id = m.id
       from messages m
       where e.id = any(?::bigint[]) and e.message_id is null and m.channel = 'email' and m.provider_message_id = e.provider_message_id
       returning e.id, e.message_id`,
      [pgArray(waiting)],
    );
    const adoptedBy = new Map(adopted.map((row) => [Number(row.id), Number(row.message_id)]));
    for (const event of stored) event.messageId = adoptedBy.get(event.id) ?? event.messageId;
  }
  return stored;
}

function toStored(row: Record<string, unknown>): StoredSendGridEvent {
  return {
    id: Number(row.id),
    messageId: row.message_id === null ? null : Number(row.message_id),
    providerEventId: String(row.provider_event_id),
    status: (row.status as MessageStatus | null) ?? null,
    rawStatus: String(row.raw_status),
  };
}
