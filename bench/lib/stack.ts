/**
 * The parts of the stack a benchmark run shares: a fresh PostgreSQL database with one seeded
 * business, a Temporal dev server on free ports with its state in the run's temp dir, and the
 * provider sandbox (in this process, so its callback delay is ours to set).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { dropDatabase, ensureDatabase } from '../../db/database';
import { Business, Location } from '../../db/entities';
import { createOrm, migrate, type Orm } from '../../db/orm';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { DEV_SERVER_DYNAMIC_CONFIG_ARGS, SEARCH_ATTRIBUTE_FLAGS, freePort, startTemporalDevServer, temporalCli, waitForPort } from '../../scripts/temporal-cli';
import type { Lifecycle } from './lifecycle';

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/omega_bench';
export const SENDER_NUMBER = '+15005550006';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function assertLoopback(url: string, what: string): void {
  const host = new URL(url.includes('://') ? url : `tcp://${url}`).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`${what} must be on this machine (127.0.0.1), not ${host}`);
}

export interface BenchDatabase {
  url: string;
  orm: Orm;
  businessId: number;
  /** True when the database was created for this run (and is dropped at its end). */
  fresh: boolean;
  /** One SQL statement, for polling and reading results. */
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * DATABASE_URL as given (used as it is and kept), else `ownUrl` (omega_bench) on the local server, dropped
 * and created anew, and dropped again at the end.
 */
export async function prepareDatabase(life: Lifecycle, givenUrl: string | undefined, ownUrl = DEFAULT_BENCH_DATABASE_URL): Promise<BenchDatabase> {
  const url = givenUrl ?? ownUrl;
  assertLoopback(url, 'DATABASE_URL');
  const fresh = givenUrl === undefined;
  if (fresh) {
    await dropDatabase(url);
    life.defer('drop database', () => dropDatabase(url));
  }
  await ensureDatabase(url);
  const orm = await createOrm(url, { poolMax: 2 });
  life.defer('close bench ORM', () => orm.close());
  await migrate(orm);
  const businessId = await seedBusiness(orm.em.fork() as EntityManager);
  return {
    url,
    orm,
    businessId,
    fresh,
    query: <T extends object>(sql: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(sql, params),
  };
}

/** An active business with one location that owns the sending number. */
async function seedBusiness(em: EntityManager): Promise<number> {
  const business = new Business(`Bench Spa ${Date.now()}`, 'UTC');
  business.status = 'ACTIVE';
  await em.persistAndFlush(business);
  const existing = await em.findOne(Location, { phoneNumber: SENDER_NUMBER });
  if (existing) throw new Error(`${SENDER_NUMBER} already belongs to business ${existing.businessId}: use a fresh database`);
  await em.persistAndFlush(new Location({ businessId: business.id, name: 'Bench', timezone: 'UTC', phoneNumber: SENDER_NUMBER }));
  return business.id;
}

export type TemporalStorage = 'file' | 'memory';

export interface RunningTemporal {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `file` with no extra arguments is the product's own dev server (scripts/temporal-cli: SQLite
 * file, WAL, synchronous=normal, its dynamic config), on at most `cores` cores at once if given.
 * With `extraArgs` (e.g. `--dynamic-config-value K=V`), or with `memory` (SQLite in memory), the
 * same command line is started here, for comparison.
 */
export async function startTemporal(life: Lifecycle, tmpDir: string, storage: TemporalStorage, extraArgs: string[] = [], cores?: number): Promise<RunningTemporal> {
  const port = await freePort();
  const uiPort = await freePort();
  if (storage === 'file' && extraArgs.length === 0) {
    const server = await startTemporalDevServer({ port, uiPort, dbFile: path.join(tmpDir, 'temporal.db'), cores });
    life.track(server.process.pid);
    life.defer('stop Temporal dev server', () => server.stop());
    return { address: server.address, pid: server.process.pid!, stop: () => server.stop() };
  }
  const storageArgs =
    storage === 'file'
      ? ['--db-filename', path.join(tmpDir, 'temporal.db'), '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal']
      : [];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), ...storageArgs,
    '--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]), ...DEV_SERVER_DYNAMIC_CONFIG_ARGS, ...extraArgs];
  const child = spawn(temporalCli(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  life.track(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(forced);
  };
  life.defer('stop Temporal dev server', stop);
  await Promise.race([waitForPort(port, 60_000), exited.then(() => Promise.reject(new Error('temporal dev server exited early')))]);
  return { address: `127.0.0.1:${port}`, pid: child.pid!, stop };
}

export const TWILIO_CREDENTIALS = { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken };

export async function startSandbox(life: Lifecycle, callbackDelayMs: number): Promise<{ sandbox: Sandbox; url: string }> {
  const sandbox = createSandbox({ twilio: TWILIO_CREDENTIALS, callbackDelayMs });
  const url = await sandbox.listen(0, '127.0.0.1');
  life.defer('close sandbox', () => sandbox.close());
  return { sandbox, url };
}

/** The environment of a child service: only what it needs, nothing inherited that could point it elsewhere. */
export function serviceEnv(vars: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
  // All sends leave from the one bench number: its carrier pace (1 segment/s) is lifted, as the
  // bench measures the pipeline, not the carrier's limit.
  return { ...base, LOG_LEVEL: 'warn', PROVIDER_MODE: 'sandbox', SMS_RATE_LONG_CODE: '1000', ...vars };
}
