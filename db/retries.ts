import type { EntityManager } from '@mikro-orm/postgresql';
import { allOf, type Condition } from './queries/people';
import { pgArray } from './sql';

/** Which failed messages a retry takes: outbound SMS and email that ended FAILED or UNDELIVERED. */
export interface RetryFilter {
  businessId: number;
  messageIds?: number[];
  channel?: 'sms' | 'email';
  /** Only messages that failed (last changed) after this ISO time. */
  failedAfter?: string;
  /** Messages created later than the request are not part of it. */
  upToId?: number;
}

function retryable(filter: RetryFilter): Condition {
  const parts: Condition[] = [
    { sql: `m.business_id = ? and m.direction = 'outbound' and m.channel in ('sms', 'email') and m.status in ('FAILED', 'UNDELIVERED')`, params: [filter.businessId] },
  ];
  if (filter.messageIds) parts.push({ sql: 'm.id = any(?::bigint[])', params: [pgArray(filter.messageIds)] });
  if (filter.channel) parts.push({ sql: 'm.channel = ?', params: [filter.channel] });
  if (filter.failedAfter) parts.push({ sql: 'm.updated_at > ?', params: [filter.failedAfter] });
  if (filter.upToId !== undefined) parts.push({ sql: 'm.id <= ?', params: [filter.upToId] });
  return allOf(parts);
}

/** How many messages a retry would take (at most `limit`), and the newest of them, which bounds the retry. */
export async function matchRetryable(em: EntityManager, filter: RetryFilter, limit: number): Promise<{ matched: number; upToId: number | null }> {
  const where = retryable(filter);
  const [row] = await em.execute(
    `select count(*)::int as matched, max(id) as up_to_id from (select m.id from messages m where ${where.sql} order by m.id limit ?) taken`,
    [...where.params, limit],
  );
  return { matched: row.matched, upToId: row.up_to_id === null ? null : Number(row.up_to_id) };
}

/** The next ids to retry, in id order after `afterId`. */
export async function retryablePage(em: EntityManager, filter: RetryFilter, afterId: number, pageSize: number): Promise<number[]> {
  const where = retryable(filter);
  const rows = await em.execute(`select m.id from messages m where ${where.sql} and m.id > ? order by m.id limit ?`, [...where.params, afterId, pageSize]);
  return rows.map((row) => Number(row.id));
}

/**
 * Makes a failed message sendable again for a new provider attempt: PENDING, without the old
 * attempt's provider id and error, which stay in its history as a `retry` event. Conditional,
 * so a message retried twice at once is reset once. Returns whether this call reset it.
 */
export async function resetForRetry(em: EntityManager, messageId: number): Promise<boolean> {
  return em.transactional(async (tx) => {
    const [previous] = await tx.execute(
      `select status, provider_message_id, error_code, error_message, attempts, channel from messages
       where id = ? and status in ('FAILED', 'UNDELIVERED') for update`,
      [messageId],
    );
    if (!previous) return false;
    await tx.execute(
      `update messages set status = 'PENDING', provider_message_id = null, error_code = null, error_message = null,
         sent_at = null, delivered_at = null, hold_reason = null, hold_until = null, updated_at = now()
       where id = ?`,
      [messageId],
    );
    await tx.execute(
      `insert into message_status_events (message_id, provider, provider_message_id, status, raw_status, error_code, error_message, payload, applied_at)
       values (?, 'api', ?, 'PENDING', 'retry', ?, ?, ?::jsonb, now())`,
      [
        messageId,
        previous.provider_message_id,
        previous.error_code,
        previous.error_message,
        JSON.stringify({ previous_status: previous.status, attempts_before: previous.attempts }),
      ],
    );
    return true;
  });
}
