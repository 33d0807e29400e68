import { loadConfig } from '../config/env';
import { createOrm } from '../db/orm';
import { createLogger } from './logger';
import { runMain, untilStopped } from './run-main';
import { DEFAULT_TEMPORAL_ADDRESS, runApi } from './services';

/** `npm run api`: the HTTP API alone, against a database and Temporal server that already run. */
runMain(async () => {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required for npm run api (npm start provides one)');
  const logger = createLogger(config.logLevel, 'omega-api');
  const orm = await createOrm(config.databaseUrl, { poolMax: 20 });
  const api = await runApi(config, orm, config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS, logger);
  logger.info({ port: config.port }, `omega API on http://127.0.0.1:${config.port} (docs at /docs)`);
  if (config.adminApiKeyGenerated) logger.warn(`no OMEGA_ADMIN_API_KEY set; this run's admin key: ${config.adminApiKey}`);
  await untilStopped();
  await api.close();
  await orm.close();
});
