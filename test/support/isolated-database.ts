import { MikroORM } from '@mikro-orm/postgresql';
import { dropDatabase, ensureDatabase } from '../../db/database';
import { migrate, ormOptions } from '../../db/orm';
import { testDatabaseUrl } from './stack';

/**
 * A fresh, migrated database of one test file's own (the run's database name plus a suffix),
 * made the one that startTestStack uses until release() drops it and restores the shared one.
 * For files that count or hash rows, which other files writing concurrently would disturb.
 */
export async function useIsolatedDatabase(suffix: string): Promise<{ url: string; release(): Promise<void> }> {
  const shared = testDatabaseUrl();
  const url = new URL(shared);
  url.pathname = `${url.pathname}_${suffix}`;
  const isolated = url.toString();
  await dropDatabase(isolated);
  await ensureDatabase(isolated);
  const options = ormOptions(isolated, { poolMax: 2 });
  const migrator = await MikroORM.init({ ...options, migrations: { ...options.migrations, silent: true } });
  try {
    await migrate(migrator);
  } finally {
    await migrator.close();
  }
  process.env.TEST_DATABASE_URL = isolated;
  return {
    url: isolated,
    async release() {
      process.env.TEST_DATABASE_URL = shared;
      await dropDatabase(isolated);
    },
  };
}
