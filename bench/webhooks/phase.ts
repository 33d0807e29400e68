/**
 * One webhook-ingest phase: an idle sample, the planned callbacks posted closed- or open-loop,
 * the wait until every message is at its final status and every event applied (the API's drainer
 * and the send workflows apply them after the acknowledgement), then the checks. /proc is sampled
 * from the first callback to the last status.
 */
import os from 'node:os';
import { runLoad } from '../lib/load';
import { ProcSampler, type ProcReport, type Role } from '../lib/procs';
import type { BenchDatabase } from '../lib/stack';
import { summarize, type LatencySummary } from '../lib/stats';
import { checkPhase, expectedStatuses, finalEventsAppliedAt, unappliedEvents, type Correctness } from './check';
import { planCallbacks, type Mix, type PlannedCallback, type SeededMessage } from './plan';
import type { CallbackPoster } from './post';

export interface IngestSpec {
  name: string;
  messages: SeededMessage[];
  mix: Mix;
  concurrency: number;
  ratePerSecond?: number;
  poster: CallbackPoster;
  db: BenchDatabase;
  roles: Role[];
  signal: AbortSignal;
  say: (line: string) => void;
}

type Kind = 'sent' | 'final, workflow running' | 'final, workflow ended' | 'duplicate';

export interface IngestResult {
  name: string;
  concurrency: number;
  ratePerSecond: number | null;
  loadAverageBefore: number[];
  callbacks: number;
  accepted: number;
  statuses: Record<string, number>;
  samples: string[];
  durationMs: number;
  acceptedPerSecond: number;
  /** Request written → 204 read. */
  latencyMs: LatencySummary;
  /** Open loop: from the callback's slot in the schedule → 204 read (includes falling behind it). */
  fromScheduleMs: LatencySummary | null;
  byKind: Record<string, LatencySummary>;
  /** p99 of the acknowledgements of each second of the phase, in order. */
  p99BySecondMs: number[];
  /** Last callback answered → last message at its final status, every event applied. */
  settleAfterLoadMs: number;
  /** A final callback's 204 → its event applied (the message at its final status), by whether its workflow ran. */
  applyLagMs: { all: LatencySummary; 'workflow running': LatencySummary; 'workflow ended': LatencySummary };
  liveMessages: number;
  correctness: Correctness;
  resources: ProcReport;
  idle: ProcReport;
}

const kindOf = (cb: PlannedCallback): Kind =>
  cb.duplicate ? 'duplicate' : cb.word === 'sent' ? 'sent' : cb.live ? 'final, workflow running' : 'final, workflow ended';

async function untilSettled(spec: IngestSpec, stallMs = 20_000): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    if (spec.signal.aborted) throw spec.signal.reason;
    const { settled } = await expectedStatuses(spec.db, spec.messages, spec.mix);
    if (settled === spec.messages.length && (await unappliedEvents(spec.db, spec.messages)) === 0) return;
    if (settled !== last) [last, lastChange] = [settled, Date.now()];
    else if (Date.now() - lastChange > stallMs) return spec.say(`${spec.name}: ${spec.messages.length - settled} messages not at their final status after ${stallMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runIngest(spec: IngestSpec): Promise<IngestResult> {
  const tag = `bench-${Date.now()}`;
  const plan = planCallbacks(spec.messages, tag, spec.mix);

  const idleSampler = new ProcSampler(spec.roles);
  idleSampler.start();
  await new Promise((r) => setTimeout(r, 5000));
  const idle = idleSampler.stop();

  const loadAverageBefore = os.loadavg();
  const pace = spec.ratePerSecond ? `${spec.ratePerSecond}/s, at most ${spec.concurrency} in flight` : `concurrency ${spec.concurrency}`;
  spec.say(`${spec.name}: ${plan.length} callbacks for ${spec.messages.length} messages at ${pace} (load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')})`);
  const byKind = new Map<Kind, number[]>();
  const fromSchedule: number[] = [];
  /** Acknowledgement latencies by the second of the phase they were posted in: is the tail spread or bunched? */
  const bySecond: number[][] = [];
  /** Token of each final callback (first post) → when its 204 was read, ms since the epoch. */
  const finalAckedAt = new Map<string, number>();
  const sampler = new ProcSampler(spec.roles);
  sampler.start();
  const scheduleStart = Date.now();
  const phaseStart = performance.now();
  let resources: ProcReport;
  let load: Awaited<ReturnType<typeof runLoad>>;
  let settledAt: number;
  try {
    load = await runLoad({
      n: plan.length,
      concurrency: spec.concurrency,
      expectStatus: 204,
      signal: spec.signal,
      ratePerSecond: spec.ratePerSecond,
      send: async (i) => {
        const t0 = performance.now();
        const answer = await spec.poster.post(plan[i]);
        if (answer.status === 204) {
          const ackMs = performance.now() - t0;
          const kind = kindOf(plan[i]);
          if (!byKind.has(kind)) byKind.set(kind, []);
          byKind.get(kind)!.push(ackMs);
          (bySecond[Math.floor((t0 - phaseStart) / 1000)] ??= []).push(ackMs);
          if (spec.ratePerSecond) fromSchedule.push(Date.now() - (scheduleStart + (i * 1000) / spec.ratePerSecond));
          if (plan[i].word !== 'sent' && !plan[i].duplicate) finalAckedAt.set(plan[i].token, Date.now());
        }
        return answer;
      },
    });
    spec.say(`${spec.name}: all posted in ${load.endedAt - load.startedAt} ms ${JSON.stringify(load.statuses)}; waiting for final statuses`);
    await untilSettled(spec);
    settledAt = Date.now();
  } finally {
    resources = sampler.stop();
  }
  const durationMs = load.endedAt - load.startedAt;
  const appliedAt = await finalEventsAppliedAt(spec.db, tag);
  const lags = { all: [] as number[], 'workflow running': [] as number[], 'workflow ended': [] as number[] };
  for (const cb of plan) {
    const acked = finalAckedAt.get(cb.token);
    const applied = appliedAt.get(cb.token);
    if (cb.word === 'sent' || cb.duplicate || acked === undefined || applied === undefined) continue;
    lags.all.push(applied - acked);
    lags[cb.live ? 'workflow running' : 'workflow ended'].push(applied - acked);
  }
  return {
    name: spec.name,
    concurrency: spec.concurrency,
    ratePerSecond: spec.ratePerSecond ?? null,
    loadAverageBefore,
    callbacks: plan.length,
    accepted: load.latenciesMs.length,
    statuses: load.statuses,
    samples: load.samples,
    durationMs,
    acceptedPerSecond: (1000 * load.latenciesMs.length) / durationMs,
    latencyMs: summarize(load.latenciesMs),
    fromScheduleMs: spec.ratePerSecond ? summarize(fromSchedule) : null,
    byKind: Object.fromEntries([...byKind].map(([k, v]) => [k, summarize(v)])),
    p99BySecondMs: Array.from(bySecond, (v) => Math.round(summarize(v ?? []).p99)),
    settleAfterLoadMs: settledAt - load.endedAt,
    applyLagMs: { all: summarize(lags.all), 'workflow running': summarize(lags['workflow running']), 'workflow ended': summarize(lags['workflow ended']) },
    liveMessages: spec.messages.filter((m) => m.live).length,
    correctness: await checkPhase(spec.db, spec.messages, tag, new Set(plan.map((c) => c.token)).size, spec.mix),
    resources,
    idle,
  };
}

const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

export function ingestTable(results: IngestResult[]): string {
  const cpuMs = (r: IngestResult, s: number) => f((1000 * s) / r.accepted, 2);
  const rows: [string, (r: IngestResult) => string][] = [
    ['callbacks (accepted)', (r) => `${r.callbacks} (${r.accepted})`],
    ['accepted / s', (r) => f(r.acceptedPerSecond)],
    ['ack p50 / p95 / p99 / max ms', (r) => `${f(r.latencyMs.p50)} / ${f(r.latencyMs.p95)} / ${f(r.latencyMs.p99)} / ${f(r.latencyMs.max)}`],
    ['from schedule p50 / p99 ms', (r) => (r.fromScheduleMs ? `${f(r.fromScheduleMs.p50)} / ${f(r.fromScheduleMs.p99)}` : '-')],
    ...(['sent', 'final, workflow running', 'final, workflow ended', 'duplicate'] as const).map(
      (k) => [`  ${k} p50 / p99 ms (n)`, (r: IngestResult) => (r.byKind[k] ? `${f(r.byKind[k].p50)} / ${f(r.byKind[k].p99)} (${r.byKind[k].count})` : '-')] as [string, (r: IngestResult) => string],
    ),
    ['seconds with p99 > 50 ms (of all)', (r) => `${r.p99BySecondMs.filter((v) => v > 50).length} (${r.p99BySecondMs.length})`],
    ['errors', (r) => JSON.stringify(Object.fromEntries(Object.entries(r.statuses).filter(([s]) => s !== '204')))],
    ['settled after last ack ms', (r) => f(r.settleAfterLoadMs, 0)],
    ...(['all', 'workflow running', 'workflow ended'] as const).map(
      (k) => [`apply lag (final 204 → applied), ${k}, p50 / p99 / max ms`, (r: IngestResult) => `${f(r.applyLagMs[k].p50)} / ${f(r.applyLagMs[k].p99)} / ${f(r.applyLagMs[k].max)}`] as [string, (r: IngestResult) => string],
    ),
    ...(['api', 'worker', 'temporal', 'bench'] as const).map(
      (role) => [`CPU ${role} % / ms per callback`, (r: IngestResult) => `${f(r.resources.roles[role]?.cpuPercent, 0)} / ${cpuMs(r, r.resources.roles[role]?.cpuSeconds ?? 0)}`] as [string, (r: IngestResult) => string],
    ),
    ['CPU postgres % / ms per callback', (r) => `${f(r.resources.postgres.cpuPercent, 0)} / ${cpuMs(r, r.resources.postgres.cpuSeconds)}`],
    ['CPU other processes %', (r) => f(r.resources.other.cpuPercent, 0)],
    [`machine busy % (of ${os.cpus().length * 100})`, (r) => f(r.resources.machineBusyPercent, 0)],
    ['  of which stolen by the host %', (r) => f(r.resources.stealPercent, 1)],
    ['every task stalled on I/O ms', (r) => (r.resources.ioFullStallMs === null ? '-' : f(r.resources.ioFullStallMs, 0))],
    ['load average before', (r) => f(r.loadAverageBefore[0], 2)],
    ['peak RSS api / worker MiB', (r) => `${f(r.resources.roles.api?.peakRssMiB, 0)} / ${f(r.resources.roles.worker?.peakRssMiB, 0)}`],
  ];
  const header = ['metric', ...results.map((r) => r.name)];
  const cells = rows.map(([label, get]) => [label, ...results.map(get)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
