/** The printed table and the results file of an inbox run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Explained, Timing } from './measure';
import type { Probe } from './probes';

export interface ProbeResult extends Probe {
  loadAverage: number;
  sequential: Timing;
  concurrent: Timing | null;
  explained: Explained[];
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1));

/** Met or missed, by the target's percentile, and for a deep page also against its page 1. */
export function verdict(result: ProbeResult, all: ProbeResult[]): string {
  const { target } = result;
  if (!target) return '';
  const value = result.sequential.latencyMs[target.percentile];
  let ok = value <= target.ms && (result.sequential.statuses['200'] ?? 0) === result.sequential.latencyMs.count;
  if (target.also === 'bounded by LIMIT and the 3 s statement timeout') ok = value <= target.ms + 500;
  if (target.also === 'deep ≤ 1.5 × page 1') {
    const first = all.find((r) => r.name === result.name.replace(/ cursor .*$/, ' page 1'));
    if (first) ok &&= result.sequential.latencyMs.p50 <= 1.5 * first.sequential.latencyMs.p50;
  }
  return ok ? 'met' : 'MISSED';
}

export function printTable(results: ProbeResult[]): void {
  const header = ['read', 'target', 'p50', 'p95', 'p99', 'max', 'c8 p50', 'c8 p99', 'SQL ms', 'HTTP', 'verdict'];
  const cells = results.map((r) => [
    r.name,
    r.target ? `${r.target.percentile} ≤ ${r.target.ms}${r.target.also ? '*' : ''}` : '-',
    fmt(r.sequential.latencyMs.p50),
    fmt(r.sequential.latencyMs.p95),
    fmt(r.sequential.latencyMs.p99),
    fmt(r.sequential.latencyMs.max),
    fmt(r.concurrent?.latencyMs.p50),
    fmt(r.concurrent?.latencyMs.p99),
    r.explained.map((e) => fmt(e.executionMs)).join(' + '),
    Object.entries(r.sequential.statuses).map(([s, k]) => `${s}×${k}`).join(' '),
    verdict(r, results),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  process.stdout.write([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n');
}

export function writeInboxResults(results: object, label?: string): string {
  const dir = path.resolve(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `inbox-${stamp}${label ? `-${label.replace(/[^\w.-]+/g, '_')}` : ''}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}
