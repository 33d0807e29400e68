/**
 * One measured phase: a warm-up that is waited out, then `n` sends at a fixed concurrency, then
 * the wait until every message is DELIVERED in the database, with /proc sampled throughout.
 */
import os from 'node:os';
import { runLoad, type JsonClient, type LoadResult } from './load';
import { ProcSampler, type ProcReport, type Role } from './procs';
import type { BenchDatabase } from './stack';
import { summarize, type LatencySummary } from './stats';

export interface PhaseSpec {
  name: string;
  /** Distinguishes this phase's recipients and request ids from every other phase's. */
  digit: number;
  n: number;
  warmup: number;
  concurrency: number;
  /** Open loop: requests at this rate (at most `concurrency` in flight); closed loop when undefined. */
  ratePerSecond?: number;
  client: JsonClient;
  path: string;
  body: (to: string, requestId: string) => unknown;
  expectStatus: number;
  roles: Role[];
  db: BenchDatabase;
  signal: AbortSignal;
  say: (line: string) => void;
  /** No message settling for this long ends the wait; the unsettled ones are reported as stuck (default 20 s). */
  stallMs?: number;
  /** How long to sample the idle stack before the load (default 5 s). */
  idleMs?: number;
  /** What the provider sandbox did for a message sid (its callbacks), for the report of a stall. */
  callbacksFor?: (sid: string) => unknown;
}

export interface PhaseResult {
  name: string;
  n: number;
  concurrency: number;
  ratePerSecond: number | null;
  loadAverageBefore: number[];
  accept: {
    latencyMs: LatencySummary;
    acceptedPerSecond: number;
    durationMs: number;
    statuses: Record<string, number>;
    samples: string[];
  };
  delivery: {
    delivered: number;
    notDelivered: Record<string, number>;
    /** First request sent → last message's DELIVERED written (its updated_at). */
    endToEndMs: number;
    deliveredPerSecond: number;
    /** delivered_at − created_at: the provider's delivered callback reaching us. */
    sendToDeliveredMs: LatencySummary;
    /** updated_at − created_at: the DELIVERED status committed in the database. */
    sendToAppliedMs: LatencySummary;
    /** Messages that never settled (the wait stalled), with their events and the sandbox's callbacks (first 5). */
    stuck: unknown[];
  };
  resources: ProcReport;
  /** The same processes sampled idle, just before the load. */
  idle: ProcReport;
}

const recipient = (digit: number, warm: boolean, i: number) => `+1555${digit}${warm ? 9 : 0}${String(i).padStart(5, '0')}`;

async function load(spec: PhaseSpec, count: number, prefix: string, warm: boolean): Promise<LoadResult> {
  return runLoad({
    n: count,
    concurrency: spec.concurrency,
    expectStatus: spec.expectStatus,
    signal: spec.signal,
    ratePerSecond: warm ? undefined : spec.ratePerSecond,
    send: (i) => spec.client.post(spec.path, spec.body(recipient(spec.digit, warm, i), `${prefix}-${i}`)),
  });
}

interface Progress {
  delivered: number;
  settled: number;
  byStatus: Record<string, number>;
}

async function progress(db: BenchDatabase, prefix: string): Promise<Progress> {
  const rows = await db.query<{ status: string; count: number }>(
    `select status, count(*)::int as count from messages where request_id like ? group by status`,
    [`${prefix}-%`],
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.count]));
  const settled = rows.filter((r) => ['DELIVERED', 'READ', 'FAILED', 'UNDELIVERED', 'CANCELED'].includes(r.status)).reduce((a, r) => a + r.count, 0);
  return { delivered: byStatus.DELIVERED ?? 0, settled, byStatus };
}

/**
 * Polls (one grouped count) until `expected` messages have settled, or until none has settled for
 * `stallMs`: a message the product lost is reported as stuck rather than waited for (its
 * workflow would ask the provider only after the 48 h delivery deadline).
 */
async function untilSettled(spec: PhaseSpec, prefix: string, expected: number, stallMs: number): Promise<Progress & { stalled: boolean }> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    if (spec.signal.aborted) throw spec.signal.reason;
    const now = await progress(spec.db, prefix);
    if (now.settled >= expected) return { ...now, stalled: false };
    if (now.settled !== last) {
      last = now.settled;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      spec.say(`${spec.name}: no message settled for ${stallMs / 1000} s, stopping at ${JSON.stringify(now.byStatus)} of ${expected}`);
      return { ...now, stalled: true };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The unsettled messages with their stored events and the sandbox's callbacks, to see where they stopped. */
async function stuck(spec: PhaseSpec, prefix: string): Promise<unknown[]> {
  const rows = await spec.db.query<{ id: number; status: string; provider_message_id: string | null; events: unknown }>(
    `select m.id, m.status, m.provider_message_id,
            (select json_agg(json_build_object('status', e.status, 'message_id', e.message_id, 'applied', e.applied_at is not null,
                                               'received_at', e.received_at) order by e.id)
               from message_status_events e where e.provider_message_id = m.provider_message_id) as events
       from messages m
      where m.request_id like ? and m.status not in ('DELIVERED', 'READ', 'FAILED', 'UNDELIVERED', 'CANCELED')
      order by m.id limit 5`,
    [`${prefix}-%`],
  );
  return rows.map((r) => ({ ...r, callbacks: r.provider_message_id && spec.callbacksFor ? spec.callbacksFor(r.provider_message_id) : undefined }));
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const tag = `${spec.name}-${Date.now()}`;
  if (spec.warmup > 0) {
    spec.say(`${spec.name}: warm-up, ${spec.warmup} sends`);
    const warm = await load(spec, spec.warmup, `${tag}-warm`, true);
    if (warm.latenciesMs.length !== spec.warmup) throw new Error(`${spec.name}: warm-up failed: ${JSON.stringify(warm.statuses)} ${warm.samples.join(' | ')}`);
    const warmed = await untilSettled(spec, `${tag}-warm`, spec.warmup, 90_000);
    if (warmed.stalled) spec.say(`${spec.name}: warm-up left stuck messages: ${JSON.stringify(await stuck(spec, `${tag}-warm`))}`);
  }

  // What the stack costs doing nothing (pollers, timers, housekeeping), so that the per-send cost can be told apart.
  const idleSampler = new ProcSampler(spec.roles);
  idleSampler.start();
  await new Promise((r) => setTimeout(r, spec.idleMs ?? 5000));
  const idle = idleSampler.stop();

  const loadAverageBefore = os.loadavg();
  const pace = spec.ratePerSecond ? `${spec.ratePerSecond}/s, at most ${spec.concurrency} in flight` : `concurrency ${spec.concurrency}`;
  spec.say(`${spec.name}: ${spec.n} sends at ${pace} (load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')})`);
  const sampler = new ProcSampler(spec.roles);
  sampler.start();
  let resources: ProcReport;
  let accepted: LoadResult;
  let settled: Progress & { stalled: boolean };
  try {
    accepted = await load(spec, spec.n, `${tag}-run`, false);
    spec.say(`${spec.name}: all sent in ${accepted.endedAt - accepted.startedAt} ms ${JSON.stringify(accepted.statuses)}; waiting for DELIVERED`);
    const sentOk = accepted.latenciesMs.length;
    settled = await untilSettled(spec, `${tag}-run`, sentOk, spec.stallMs ?? 20_000);
  } finally {
    resources = sampler.stop();
  }

  const [timing] = await spec.db.query<{ last_applied: Date }>(
    `select max(updated_at) as last_applied from messages where request_id like ? and status = 'DELIVERED'`,
    [`${tag}-run-%`],
  );
  const latencies = await spec.db.query<{ delivered_ms: number; applied_ms: number }>(
    `select extract(epoch from (delivered_at - created_at)) * 1000 as delivered_ms,
            extract(epoch from (updated_at - created_at)) * 1000 as applied_ms
       from messages where request_id like ? and status = 'DELIVERED'`,
    [`${tag}-run-%`],
  );
  const endToEndMs = new Date(timing.last_applied).getTime() - accepted.startedAt;
  const acceptMs = accepted.endedAt - accepted.startedAt;
  const { DELIVERED: _delivered, ...notDelivered } = settled.byStatus;
  return {
    name: spec.name,
    n: spec.n,
    concurrency: spec.concurrency,
    ratePerSecond: spec.ratePerSecond ?? null,
    loadAverageBefore,
    accept: {
      latencyMs: summarize(accepted.latenciesMs),
      acceptedPerSecond: (1000 * accepted.latenciesMs.length) / acceptMs,
      durationMs: acceptMs,
      statuses: accepted.statuses,
      samples: accepted.samples,
    },
    delivery: {
      delivered: settled.delivered,
      notDelivered,
      endToEndMs,
      deliveredPerSecond: (1000 * settled.delivered) / endToEndMs,
      sendToDeliveredMs: summarize(latencies.map((r) => Number(r.delivered_ms))),
      sendToAppliedMs: summarize(latencies.map((r) => Number(r.applied_ms))),
      stuck: settled.stalled ? await stuck(spec, `${tag}-run`) : [],
    },
    resources,
    idle,
  };
}
