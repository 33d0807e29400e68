/**
 * `npm run bench:send -- --n 2000 --concurrency 50`: SMS send throughput, orchestrated (API →
 * Temporal sendMessage → Twilio sandbox → signed callbacks → DELIVERED) against a direct baseline
 * (the same database work and Twilio client without Temporal, bench/direct-server.ts).
 *
 * Stands up everything it needs on 127.0.0.1 (fresh database omega_bench unless DATABASE_URL is
 * set, a Temporal dev server in a temp dir, the sandbox in this process, the API, the worker and
 * the baseline as child processes), prints a table, writes bench/results/send-throughput-*.json
 * and removes everything it started, also on Ctrl-C, failure or the time limit.
 *
 * Flags: --n (2000) --concurrency (50) --rate R (open loop, R/s; default closed loop) --warmup (50)
 * --callback-delay ms (20) --phases orchestrated,direct --temporal file|memory
 * --temporal-config KEY=VALUE (dev server dynamic config, repeatable) --timeout-min (10) --label name.
 * BENCH_NODE_ARGS adds node flags to the child services (e.g. --cpu-prof).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { freePort, waitForPort } from '../scripts/temporal-cli';
import { Lifecycle, type Service } from './lib/lifecycle';
import { jsonClient } from './lib/load';
import { runPhase, type PhaseResult } from './lib/phase';
import { machine, table, writeResults } from './lib/report';
import { prepareDatabase, serviceEnv, startSandbox, startTemporal, type BenchDatabase, type TemporalStorage } from './lib/stack';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
    rate: { type: 'string' },
    warmup: { type: 'string', default: '50' },
    'callback-delay': { type: 'string', default: '20' },
    phases: { type: 'string', default: 'orchestrated,direct' },
    temporal: { type: 'string', default: 'file' },
    'temporal-config': { type: 'string', multiple: true, default: [] },
    'timeout-min': { type: 'string', default: '10' },
    label: { type: 'string' },
  },
});

const positiveInt = (name: string, value: string, min = 1): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${value}`);
  return n;
};

const options = {
  n: positiveInt('n', flags.n, 1),
  concurrency: positiveInt('concurrency', flags.concurrency, 1),
  ratePerSecond: flags.rate === undefined ? undefined : positiveInt('rate', flags.rate, 1),
  warmup: positiveInt('warmup', flags.warmup, 0),
  callbackDelayMs: positiveInt('callback-delay', flags['callback-delay'], 0),
  phases: flags.phases.split(',').map((p) => p.trim()),
  temporal: flags.temporal as TemporalStorage,
  temporalArgs: flags['temporal-config'].flatMap((kv) => ['--dynamic-config-value', kv]),
  timeoutMin: positiveInt('timeout-min', flags['timeout-min'], 1),
  label: flags.label,
};
if (options.phases.some((p) => p !== 'orchestrated' && p !== 'direct')) throw new Error('--phases takes orchestrated and/or direct');
if (options.temporal !== 'file' && options.temporal !== 'memory') throw new Error('--temporal takes file or memory');
if (options.n > 99_999) throw new Error('--n is at most 99999 (recipient numbering)');

const say = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const life = new Lifecycle(say);

/** Rejects when a service exits on its own: a crashed API or worker ends the run at once. */
function whileRunning<T>(services: Service[], work: Promise<T>): Promise<T> {
  const crashed = services.map((s) =>
    s.exited.then((code) => Promise.reject(new Error(`${s.name} exited (code ${code}):\n${s.logTail()}`))),
  );
  return life.guard(Promise.race([work, ...crashed]));
}

async function startService(name: string, script: string, env: Record<string, string>, tmp: string, port?: number): Promise<Service> {
  const service = life.spawnService(name, script, env, path.join(tmp, `${name}.log`));
  if (port !== undefined) await whileRunning([service], waitForPort(port, 90_000));
  return service;
}

type CallbacksFor = (sid: string) => unknown;

/** What both phases send and how: the same load, the same message, the same bookkeeping. */
function sharedPhaseOptions(db: BenchDatabase, callbacksFor: CallbacksFor) {
  return {
    n: options.n,
    warmup: options.warmup,
    concurrency: options.concurrency,
    ratePerSecond: options.ratePerSecond,
    body: (to: string, requestId: string) => ({ business_id: db.businessId, to, body: 'Your appointment is confirmed for tomorrow at 3pm.', request_id: requestId }),
    expectStatus: 202,
    db,
    signal: life.signal,
    say,
    callbacksFor,
  };
}

async function orchestrated(db: BenchDatabase, sandboxUrl: string, callbacksFor: CallbacksFor, tmp: string): Promise<PhaseResult> {
  const temporal = await life.guard(startTemporal(life, tmp, options.temporal, options.temporalArgs));
  const port = await freePort();
  const adminKey = randomBytes(24).toString('hex');
  const env = serviceEnv({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SANDBOX_URL: sandboxUrl,
    OMEGA_ADMIN_API_KEY: adminKey,
  });
  say(`starting worker and API (Temporal ${temporal.address}, ${options.temporal} storage)`);
  const worker = await startService('worker', 'scripts/worker.ts', env, tmp);
  const api = await startService('api', 'scripts/api.ts', env, tmp, port);
  const client = jsonClient(`http://127.0.0.1:${port}`, { 'X-API-KEY': adminKey }, options.concurrency);
  try {
    return await whileRunning(
      [api, worker],
      runPhase({
        name: 'orchestrated',
        digit: 1,
        ...sharedPhaseOptions(db, callbacksFor),
        client,
        path: '/sms/send',
        roles: [
          { name: 'api', pid: api.pid },
          { name: 'worker', pid: worker.pid },
          { name: 'temporal', pid: temporal.pid },
          { name: 'bench', pid: process.pid },
        ],
      }),
    );
  } finally {
    client.close();
    // Free the CPU for the next phase.
    await api.stop();
    await worker.stop();
    await temporal.stop();
  }
}

async function direct(db: BenchDatabase, sandboxUrl: string, callbacksFor: CallbacksFor, tmp: string): Promise<PhaseResult> {
  const port = await freePort();
  const env = serviceEnv({ DATABASE_URL: db.url, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, SANDBOX_URL: sandboxUrl });
  const server = await startService('direct', 'bench/direct-server.ts', env, tmp, port);
  const client = jsonClient(`http://127.0.0.1:${port}`, {}, options.concurrency);
  try {
    return await whileRunning(
      [server],
      runPhase({
        name: 'direct',
        digit: 2,
        ...sharedPhaseOptions(db, callbacksFor),
        client,
        path: '/send',
        roles: [
          { name: 'direct', pid: server.pid },
          { name: 'bench', pid: process.pid },
        ],
      }),
    );
  } finally {
    client.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  life.trapSignals();
  life.limitTime(options.timeoutMin * 60_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'omega-bench-'));
  life.defer('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  const startedAt = new Date();
  say(`temp dir ${tmp}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const db = await life.guard(prepareDatabase(life, process.env.DATABASE_URL));
  say(`database ${db.url} (${db.fresh ? 'fresh' : 'given, kept'}), business ${db.businessId}`);
  const { sandbox, url: sandboxUrl } = await startSandbox(life, options.callbackDelayMs);
  const callbacksFor: CallbacksFor = (sid) =>
    sandbox.callbacks().filter((c) => c.messageSid === sid).map((c) => ({ status: c.messageStatus, answer: c.status, error: c.error, attempt: c.attempt, at: c.at }));

  const phases: Partial<Record<'orchestrated' | 'direct', PhaseResult>> = {};
  if (options.phases.includes('orchestrated')) phases.orchestrated = await orchestrated(db, sandboxUrl, callbacksFor, tmp);
  if (options.phases.includes('direct')) phases.direct = await direct(db, sandboxUrl, callbacksFor, tmp);

  const o = phases.orchestrated;
  const d = phases.direct;
  const results = {
    benchmark: 'send-throughput',
    startedAt: startedAt.toISOString(),
    command: `npm run bench:send -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { ...options, sandboxCallbackDelayMs: options.callbackDelayMs },
    machine: machine(),
    targets: { deliveredPerSecond: 100, acceptP99Ms: 50, atConcurrency: 50 },
    phases,
    ratios:
      o && d
        ? {
            deliveredPerSecond: o.delivery.deliveredPerSecond / d.delivery.deliveredPerSecond,
            acceptP99: o.accept.latencyMs.p99 / d.accept.latencyMs.p99,
          }
        : undefined,
    metTargets: o ? { deliveredPerSecond: o.delivery.deliveredPerSecond >= 100, acceptP99: o.accept.latencyMs.p99 <= 50 } : undefined,
  };
  const pace = options.ratePerSecond ? `open loop ${options.ratePerSecond}/s, at most ${options.concurrency} in flight` : `closed loop, concurrency ${options.concurrency}`;
  console.log(`\nsend throughput: n=${options.n}, ${pace}, sandbox callback delay ${options.callbackDelayMs} ms, Temporal ${options.temporal} ${options.temporalArgs.join(' ')}\n`);
  console.log(table(phases));
  if (results.metTargets) {
    console.log(`\ntargets (≥ 100 delivered/s, accept p99 ≤ 50 ms): delivered/s ${results.metTargets.deliveredPerSecond ? 'met' : 'MISSED'}, accept p99 ${results.metTargets.acceptP99 ? 'met' : 'MISSED'}`);
  }
  for (const phase of [o, d]) {
    if (phase && phase.delivery.stuck.length > 0) {
      console.log(`\n${phase.name}: messages that never settled (first ${phase.delivery.stuck.length}):`);
      for (const s of phase.delivery.stuck) console.log(`  ${JSON.stringify(s)}`);
    }
  }
  console.log(`results: ${path.relative(process.cwd(), writeResults(results, options.label))}`);
}

let exitCode = 0;
main()
  .catch((error: unknown) => {
    exitCode = 1;
    const interrupted = error === life.signal.reason;
    say(`failed: ${error instanceof Error ? (interrupted ? error.message : (error.stack ?? error.message)) : String(error)}`);
  })
  .finally(async () => {
    await life.cleanup();
    process.exit(exitCode);
  });
