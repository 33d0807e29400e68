/** The printed table and the results file of a send-throughput run. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PhaseResult } from './phase';

export interface Machine {
  nproc: number;
  memTotalGiB: number;
  cpuModel: string;
  node: string;
  kernel: string;
  commit: string;
  /** Tracked files changed from that commit outside bench/: when not 0, what ran was not exactly the commit. */
  uncommittedFiles: number;
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let commit = 'unknown';
  let uncommittedFiles = -1;
  try {
    commit = git('rev-parse', '--short', 'HEAD');
    uncommittedFiles = git('status', '--porcelain', '--untracked-files=no').split('\n').filter((l) => l && !/^.. bench\//.test(l)).length;
  } catch {
    // Not a git checkout.
  }
  return {
    nproc: os.cpus().length,
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    node: process.version,
    kernel: os.release(),
    commit,
    uncommittedFiles,
  };
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export function table(phases: Partial<Record<'orchestrated' | 'direct', PhaseResult>>): string {
  const o = phases.orchestrated;
  const d = phases.direct;
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b !== 0 ? fmt(a / b, 2) : '-');
  const rows: [string, number | undefined, number | undefined, string][] = [];
  const add = (label: string, get: (p: PhaseResult) => number | undefined, showRatio = false) => {
    const a = o ? get(o) : undefined;
    const b = d ? get(d) : undefined;
    rows.push([label, a, b, showRatio ? ratio(a, b) : '']);
  };
  add('accepted / s', (p) => p.accept.acceptedPerSecond, true);
  add('accept p50 ms', (p) => p.accept.latencyMs.p50, true);
  add('accept p95 ms', (p) => p.accept.latencyMs.p95, true);
  add('accept p99 ms', (p) => p.accept.latencyMs.p99, true);
  add('delivered / s (end to end)', (p) => p.delivery.deliveredPerSecond, true);
  add('end to end s', (p) => p.delivery.endToEndMs / 1000);
  add('send→DELIVERED p50 ms', (p) => p.delivery.sendToDeliveredMs.p50, true);
  add('send→DELIVERED p95 ms', (p) => p.delivery.sendToDeliveredMs.p95, true);
  add('send→DELIVERED p99 ms', (p) => p.delivery.sendToDeliveredMs.p99, true);
  add('send→applied p99 ms', (p) => p.delivery.sendToAppliedMs.p99, true);
  add('not delivered', (p) => Object.values(p.delivery.notDelivered).reduce((a, b) => a + b, 0) + (p.n - p.accept.latencyMs.count));
  for (const role of ['api', 'worker', 'temporal', 'direct', 'bench']) {
    add(`peak RSS ${role} MiB`, (p) => p.resources.roles[role]?.peakRssMiB);
  }
  for (const role of ['api', 'worker', 'temporal', 'direct', 'bench']) {
    add(`CPU ${role} %`, (p) => p.resources.roles[role]?.cpuPercent);
  }
  add('CPU postgres %', (p) => p.resources.postgres.cpuPercent);
  // CPU time per send holds up better than rates when something else shares the machine.
  for (const role of ['api', 'worker', 'temporal', 'direct', 'bench']) {
    add(`CPU ms / send ${role}`, (p) => (p.resources.roles[role] ? (1000 * p.resources.roles[role].cpuSeconds) / p.n : undefined), role === 'bench');
  }
  add('CPU ms / send postgres', (p) => (1000 * p.resources.postgres.cpuSeconds) / p.n, true);
  add('CPU % of ours when idle', (p) => Object.values(p.idle.roles).reduce((a, r) => a + r.cpuPercent, 0) + p.idle.postgres.cpuPercent);
  // The part of the CPU per send that sending adds, over what the idle stack burns anyway in that time.
  add('CPU ms / send above idle', (p) => {
    const busy = Object.values(p.resources.roles).reduce((a, r) => a + r.cpuSeconds, 0) + p.resources.postgres.cpuSeconds;
    const idlePercent = Object.values(p.idle.roles).reduce((a, r) => a + r.cpuPercent, 0) + p.idle.postgres.cpuPercent;
    return (1000 * (busy - (idlePercent / 100) * (p.resources.durationMs / 1000))) / p.n;
  }, true);
  add('CPU ms / send, all of ours', (p) => (1000 * (Object.values(p.resources.roles).reduce((a, r) => a + r.cpuSeconds, 0) + p.resources.postgres.cpuSeconds)) / p.n, true);
  // What the machine could do if the run had it to itself and CPU were the only limit.
  add('ceiling / s: cores ÷ CPU per send', (p) => {
    const cpuSeconds = Object.values(p.resources.roles).reduce((a, r) => a + r.cpuSeconds, 0) + p.resources.postgres.cpuSeconds;
    return cpuSeconds > 0 ? (p.resources.cores * p.n) / cpuSeconds : undefined;
  }, true);
  add('CPU other processes %', (p) => p.resources.other.cpuPercent);
  add(`machine busy % (of ${os.cpus().length * 100})`, (p) => p.resources.machineBusyPercent);
  add('load average before', (p) => p.loadAverageBefore[0]);

  const header = ['metric', 'orchestrated', 'direct', 'ratio o/d'];
  const cells = rows.filter(([, a, b]) => a !== undefined || b !== undefined).map(([label, a, b, r]) => [label, fmt(a), fmt(b), r]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function writeResults(results: object, label?: string, benchmark = 'send-throughput'): string {
  const dir = path.resolve(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `${benchmark}-${stamp}${label ? `-${label.replace(/[^\w.-]+/g, '_')}` : ''}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}
