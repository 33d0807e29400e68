import { loadConfig } from '../config/env';
import { createOrm } from '../db/orm';
import { createLogger } from './logger';
import { runMain, untilStopped } from './run-main';
import { DEFAULT_TEMPORAL_ADDRESS, runWorker } from './services';

/** `npm run worker`: the Temporal worker alone (scale it by running more). */
runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for npm run worker (npm start provides one)');
  const logger = createLogger(config.logLevel, 'omega-worker');
  const orm = await createOrm(config.databaseUrl, { poolMax: 20 });
  const worker = await runWorker(config, orm, config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS);
  logger.info({ taskQueue: config.temporal.taskQueue }, 'omega worker running');
  await Promise.race([untilStopped(), worker.done]);
  await worker.close();
  await orm.close();
});
