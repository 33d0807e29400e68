/**
 * The outbound SMS a phase's callbacks are about. Most are inserted directly as QUEUED with a
 * provider sid and no workflow waiting on them (as an SMS recorded with POST /sms/record, or after
 * a send whose workflow stopped waiting: thousands in one statement); `live` of them go through
 * POST /sms/send, so their sendMessage workflow runs and waits for the final status (the sandbox
 * holds its own callbacks back for the whole run).
 */
import type { JsonClient } from '../lib/load';
import { runLoad } from '../lib/load';
import { SENDER_NUMBER, type BenchDatabase } from '../lib/stack';
import type { SeededMessage } from './plan';

const CHUNK = 1000;

/** `count` QUEUED outbound SMS to new clients, numbered from `+1556<digit>…`. */
export async function insertQueued(db: BenchDatabase, digit: number, count: number): Promise<SeededMessage[]> {
  const seeded: SeededMessage[] = [];
  for (let from = 0; from < count; from += CHUNK) {
    const rows = await db.query<{ id: string; provider_message_id: string }>(
      `with c as (
         insert into clients (business_id, phone)
         select ?, '+1556' || ? || lpad(g::text, 6, '0') from generate_series(?::int, ?::int) g returning id, phone
       )
       insert into messages (business_id, client_id, channel, direction, status, body, from_address, to_address, provider_message_id, attempts)
       select ?, c.id, 'sms', 'outbound', 'QUEUED', 'Your appointment is confirmed for tomorrow at 3pm.', ?, c.phone,
              'SM' || md5(gen_random_uuid()::text), 1
         from c order by c.id returning id, provider_message_id`,
      [db.businessId, digit, from, Math.min(count, from + CHUNK) - 1, db.businessId, SENDER_NUMBER],
    );
    seeded.push(...rows.map((r) => ({ id: Number(r.id), sid: r.provider_message_id, live: false })));
  }
  return seeded;
}

/** `count` sends through the API, waited for until each has its provider sid and its workflow waits for delivery. */
export async function sendLive(
  db: BenchDatabase,
  client: JsonClient,
  digit: number,
  count: number,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<SeededMessage[]> {
  if (count === 0) return [];
  const prefix = `webhooks-live-${digit}-${Date.now()}`;
  const started = Date.now();
  const load = await runLoad({
    n: count,
    concurrency: 16,
    expectStatus: 202,
    signal,
    send: (i) =>
      client.post('/sms/send', {
        business_id: db.businessId,
        to: `+1555${digit}${String(i).padStart(6, '0')}`,
        body: 'Your appointment is confirmed for tomorrow at 3pm.',
        request_id: `${prefix}-${i}`,
      }),
  });
  if (load.latenciesMs.length !== count) throw new Error(`live sends failed: ${JSON.stringify(load.statuses)} ${load.samples.join(' | ')}`);
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const [{ waiting }] = await db.query<{ waiting: number }>(
      `select count(*)::int as waiting from messages where request_id like ? and provider_message_id is null`,
      [`${prefix}-%`],
    );
    if (waiting === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const rows = await db.query<{ id: string; provider_message_id: string; status: string }>(
    `select id, provider_message_id, status from messages where request_id like ? order by id`,
    [`${prefix}-%`],
  );
  const notQueued = rows.filter((r) => r.status !== 'QUEUED');
  if (notQueued.length > 0) throw new Error(`live sends not QUEUED: ${JSON.stringify(notQueued.slice(0, 5))}`);
  say(`  ${count} live sends accepted and handed to the sandbox in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return rows.map((r) => ({ id: Number(r.id), sid: r.provider_message_id, live: true }));
}

/** The live messages spread evenly among the others, so that every second of a phase has its share of them. */
export function interleave(others: SeededMessage[], live: SeededMessage[]): SeededMessage[] {
  const all = others.length + live.length;
  const mixed: SeededMessage[] = [];
  let placed = 0;
  for (let i = 0, o = 0; i < all; i++) {
    // The (placed + 1)-th live message goes where its share of the phase so far reaches it.
    mixed.push(Math.floor(((i + 1) * live.length) / all) > placed ? live[placed++] : others[o++]);
  }
  return mixed;
}
