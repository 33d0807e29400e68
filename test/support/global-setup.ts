import path from 'node:path';
import { Client } from 'pg';
import { dropDatabase, ensureDatabase } from '../../db/database';
import { createOrm, migrate } from '../../db/orm';
import { startEmbeddedPostgres } from '../../scripts/embedded-postgres';
import { temporalCli, temporalTestServer } from '../../scripts/temporal-cli';

const MACHINE_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Once per run: a fresh, migrated test database (TEST_DATABASE_URL, else the local server on
 * 5432, else an embedded one) and the Temporal binaries, installed into .tools/ when missing.
 */
export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[test setup] ${line}\n`);
  process.env.TEMPORAL_CLI = temporalCli(log);
  process.env.TEMPORAL_TEST_SERVER = temporalTestServer(log);

  let databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) {
    if (await reachable(MACHINE_POSTGRES)) {
      databaseUrl = `postgres://postgres@127.0.0.1:5432/omega_test_${process.pid}`;
    } else {
      log('no PostgreSQL on 127.0.0.1:5432: starting an embedded one');
      const pg = await startEmbeddedPostgres(path.resolve(__dirname, '../../.data/test-postgres'), 54330, log);
      (globalThis as { __embeddedPostgres?: { stop(): Promise<void> } }).__embeddedPostgres = pg;
      databaseUrl = pg.databaseUrl.replace(/\/omega$/, `/omega_test_${process.pid}`);
    }
    (globalThis as { __dropDatabase?: string }).__dropDatabase = databaseUrl;
  }
  await ensureDatabase(databaseUrl);
  const orm = await createOrm(databaseUrl, { poolMax: 2 });
  try {
    await migrate(orm);
  } finally {
    await orm.close();
  }
  process.env.TEST_DATABASE_URL = databaseUrl;
}

export async function dropTestDatabase(): Promise<void> {
  const url = (globalThis as { __dropDatabase?: string }).__dropDatabase;
  if (url) await dropDatabase(url);
  await (globalThis as { __embeddedPostgres?: { stop(): Promise<void> } }).__embeddedPostgres?.stop();
}
