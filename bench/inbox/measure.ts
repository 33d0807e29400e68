/**
 * Latency of read routes through HTTP: the API from createApp in this process, listening on a free
 * port, with the real ORM on the seeded database. Every SQL statement a request runs can be
 * captured (MikroORM's `onQuery` hook, with its parameters inlined the way MikroORM sends them) and
 * run again under `explain (analyze, buffers)`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Client as TemporalClient } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config/env';
import type { Orm } from '../../db/orm';
import { summarize, type LatencySummary } from '../lib/stats';

export interface Api {
  baseUrl: string;
  /** How many times a request reached for the Temporal client (read routes must not). */
  temporalTouches(): number;
  /** The SQL (parameters inlined) of what runs while `during` does. */
  capture(during: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

/** A Temporal client that is never connected: any use of it is counted and fails the request. */
function untouchableTemporal(touches: { count: number }): TemporalClient {
  return new Proxy({} as TemporalClient, {
    get: (_target, property) => {
      if (property === 'then') return undefined;
      touches.count++;
      throw new Error(`a read route used temporal.${String(property)}`);
    },
  });
}

export async function startApi(orm: Orm, adminKey: string): Promise<Api> {
  const config = loadConfig({ OMEGA_ADMIN_API_KEY: adminKey, LOG_LEVEL: 'silent' });
  const touches = { count: 0 };
  let captured: string[] | null = null;
  const platform = orm.em.getPlatform();
  orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    captured?.push(platform.formatQuery(sql, params));
    return sql;
  });
  const app = createApp({ orm, temporal: untouchableTemporal(touches), config, logger: pino({ level: 'silent' }) });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    temporalTouches: () => touches.count,
    capture: async (during) => {
      captured = [];
      try {
        await during();
        return captured;
      } finally {
        captured = null;
      }
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export interface Getter {
  get(path: string): Promise<{ status: number; text: string; ms: number }>;
  close(): void;
}

export function getter(baseUrl: string, adminKey: string, sockets: number): Getter {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(baseUrl);
  return {
    get: (path) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const req = http.request({ agent, hostname, port, path, method: 'GET', headers: { 'X-API-KEY': adminKey } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        });
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

export interface Timing {
  latencyMs: LatencySummary;
  statuses: Record<string, number>;
}

/** `n` requests, `concurrency` at a time back to back, after `warmup` untimed ones. */
export async function timeRequests(client: Getter, path: string, n: number, concurrency: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await client.get(path);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let issued = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < n) {
        issued++;
        const res = await client.get(path);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        latencies.push(res.ms);
      }
    }),
  );
  return { latencyMs: summarize(latencies), statuses };
}

export interface Explained {
  sql: string;
  executionMs: number;
  plan: string;
}

/** A statement worth a plan: the page, count and aggregate reads, not the auth and path lookups. */
const interesting = (sql: string) => /\blimit\b|\bcount\(|\bgroup by\b|\bconversation_facets\b/i.test(sql) && !/^set\b/i.test(sql) && !/^select "\w0"\./.test(sql);

export async function explainAll(url: string, statements: string[]): Promise<Explained[]> {
  const pg = new PgClient({ connectionString: url });
  await pg.connect();
  try {
    await pg.query(`set timezone = 'UTC'`);
    const out: Explained[] = [];
    for (const sql of statements.filter(interesting)) {
      const { rows } = await pg.query(`explain (analyze, buffers) ${sql}`);
      const plan = rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      out.push({ sql: sql.replace(/\s+/g, ' '), executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN), plan });
    }
    return out;
  } finally {
    await pg.end();
  }
}
