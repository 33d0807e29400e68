import { loadConfig } from '../config/env';
import { ensureDatabase } from '../db/database';
import { createOrm, migrate } from '../db/orm';
import { runMain } from './run-main';

/** `npm run db:migrate`: applies pending migrations to DATABASE_URL. */
runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for db:migrate');
  await ensureDatabase(config.databaseUrl);
  const orm = await createOrm(config.databaseUrl, { poolMax: 2 });
  try {
    const applied = await migrate(orm);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await orm.close();
  }
});
