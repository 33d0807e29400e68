/** Latency summaries: nearest-rank percentiles over a sample of milliseconds. */

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, v) => acc + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Rounds every number of a flat record to `digits` decimals (for printing and the results file). */
export function rounded<T extends object>(record: T, digits = 1): T {
  const factor = 10 ** digits;
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, typeof v === 'number' && Number.isFinite(v) ? Math.round(v * factor) / factor : v]),
  ) as T;
}
