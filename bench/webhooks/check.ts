/** After a phase: did every message end at its true final status, and was every callback kept exactly once? */
import type { BenchDatabase } from '../lib/stack';
import { FINAL_STATUS, endingOf, type Mix, type SeededMessage } from './plan';

export interface Correctness {
  messages: number;
  atExpectedStatus: number;
  /** First few messages not at the status their last callback says, with what they are at. */
  wrong: { id: number; live: boolean; status: string; expected: string }[];
  /** Distinct idempotency tokens posted, and event rows stored for them. */
  tokensPosted: number;
  eventRows: number;
  tokensStoredTwice: number;
  tokensMissing: number;
  eventsWithoutMessage: number;
  eventsNotApplied: number;
  /** Status mix the phase's messages ended at. */
  byStatus: Record<string, number>;
}

const idArray = (messages: SeededMessage[]) => `{${messages.map((m) => m.id).join(',')}}`;

export async function expectedStatuses(db: BenchDatabase, messages: SeededMessage[], mix: Mix): Promise<{ settled: number; wrong: Correctness['wrong']; byStatus: Record<string, number> }> {
  const rows = await db.query<{ id: string; status: string }>(`select id, status from messages where id = any(?::bigint[])`, [idArray(messages)]);
  const statusOf = new Map(rows.map((r) => [Number(r.id), r.status]));
  const wrong: Correctness['wrong'] = [];
  const byStatus: Record<string, number> = {};
  let settled = 0;
  messages.forEach((m, i) => {
    const status = statusOf.get(m.id) ?? 'missing';
    const expected = FINAL_STATUS[endingOf(i, mix)];
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status === expected) settled += 1;
    else if (wrong.length < 5) wrong.push({ id: m.id, live: m.live, status, expected });
  });
  return { settled, wrong, byStatus };
}

/** Events of these messages not applied yet: the API's drainer or a send workflow still has them. */
export async function unappliedEvents(db: BenchDatabase, messages: SeededMessage[]): Promise<number> {
  const [unapplied] = await db.query<{ n: number }>(
    `select count(*)::int as n from message_status_events where message_id = any(?::bigint[]) and applied_at is null`,
    [idArray(messages)],
  );
  return unapplied.n;
}

/** When each final callback (by token) was applied, in ms since the epoch. */
export async function finalEventsAppliedAt(db: BenchDatabase, tag: string): Promise<Map<string, number>> {
  const rows = await db.query<{ token: string; applied_ms: number | null }>(
    `select provider_event_id as token, (extract(epoch from applied_at) * 1000)::float8 as applied_ms
       from message_status_events where provider = 'twilio' and provider_event_id like ?`,
    [`${tag}-%-f`],
  );
  return new Map(rows.flatMap((r) => (r.applied_ms === null ? [] : [[r.token, r.applied_ms] as [string, number]])));
}

export async function checkPhase(db: BenchDatabase, messages: SeededMessage[], tag: string, tokensPosted: number, mix: Mix): Promise<Correctness> {
  const statuses = await expectedStatuses(db, messages, mix);
  const [events] = await db.query<{ rows: number; tokens: number; twice: number; orphans: number }>(
    `select count(*)::int as rows, count(distinct provider_event_id)::int as tokens,
            (select count(*)::int from (select 1 from message_status_events where provider = 'twilio' and provider_event_id like ?
                                         group by provider_event_id having count(*) > 1) d) as twice,
            count(*) filter (where message_id is null)::int as orphans
       from message_status_events where provider = 'twilio' and provider_event_id like ?`,
    [`${tag}-%`, `${tag}-%`],
  );
  return {
    messages: messages.length,
    atExpectedStatus: statuses.settled,
    wrong: statuses.wrong,
    tokensPosted,
    eventRows: events.rows,
    tokensStoredTwice: events.twice,
    tokensMissing: tokensPosted - events.tokens,
    eventsWithoutMessage: events.orphans,
    eventsNotApplied: await unappliedEvents(db, messages),
    byStatus: statuses.byStatus,
  };
}
