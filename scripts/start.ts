import path from 'node:path';
import { loadConfig, type Config } from '../config/env';
import { ensureDatabase } from '../db/database';
import { createOrm, migrate } from '../db/orm';
import { DEMO_BUSINESS_NAME, DEMO_CLIENT_PHONE } from '../db/seed';
import { createSandbox } from '../sandbox/app';
import { startEmbeddedPostgres } from './embedded-postgres';
import { ensureDemoBusiness } from './demo';
import { createLogger } from './logger';
import { runMain, untilStopped } from './run-main';
import { runApi, runWorker } from './services';
import { startTemporalDevServer } from './temporal-cli';

const DATA_DIR = path.resolve(__dirname, '..', '.data');
const EMBEDDED_POSTGRES_PORT = 54329;
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;

/** `npm start`: the whole local stack in one process tree; Ctrl-C stops all of it. */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'omega');
  const say = (line: string) => logger.info(line);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => logger.error({ err: error }, 'while stopping'));
  };
  const stopped = untilStopped();

  try {
    const databaseUrl = await startDatabase(config, stops, say);
    await ensureDatabase(databaseUrl);
    const orm = await createOrm(databaseUrl, { poolMax: 30 });
    stops.push(() => orm.close());
    const applied = await migrate(orm);
    if (applied.length > 0) say(`migrations applied: ${applied.join(', ')}`);

    const temporal = await startTemporal(config, stops, say);
    if (config.providerMode === 'sandbox') {
      const sandbox = createSandbox({
        twilio: { accountSid: config.twilio.accountSid, authToken: config.twilio.authToken },
        sendgrid: { apiKey: config.sendgrid.apiKey! },
        sendgridEventWebhookUrl: `${config.publicBaseUrl}/email/webhook`,
      });
      await sandbox.listen(config.sandboxPort);
      stops.push(() => sandbox.close());
    }
    const worker = await runWorker(config, orm, temporal.address);
    stops.push(() => worker.close());
    const api = await runApi(config, orm, temporal.address, logger);
    stops.push(() => api.close());

    const base = `http://127.0.0.1:${config.port}`;
    const demo = await ensureDemoBusiness(base, config.adminApiKey, orm, say);
    console.log(
      [
        '',
        'omega is running',
        `  API          ${base}`,
        `  API docs     ${base}/docs`,
        `  Temporal UI  ${temporal.uiUrl ?? '(external Temporal server: use its own UI)'}`,
        config.providerMode === 'sandbox' ? `  Sandbox      ${config.twilio.baseUrl} (Twilio and SendGrid emulator; events to ${config.publicBaseUrl}/email/webhook)` : '  Providers    live Twilio',
        `  Admin key    ${config.adminApiKey}${config.adminApiKeyGenerated ? '  (generated for this run; set OMEGA_ADMIN_API_KEY to fix it)' : ''}`,
        `  Demo         business ${demo.businessId} "${DEMO_BUSINESS_NAME}", client ${demo.clientId} ${DEMO_CLIENT_PHONE}`,
        ...(demo.apiKey ? [`  Demo key     ${demo.apiKey}  (its business API key, shown only now)`] : []),
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await Promise.race([stopped, worker.done]);
  } finally {
    say('stopping');
    await stopAll();
  }
});

async function startDatabase(config: Config, stops: (() => Promise<void>)[], say: (line: string) => void): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  say(`no DATABASE_URL: starting an embedded PostgreSQL in .data/postgres on port ${EMBEDDED_POSTGRES_PORT}`);
  const pg = await startEmbeddedPostgres(path.join(DATA_DIR, 'postgres'), EMBEDDED_POSTGRES_PORT, say);
  stops.push(() => pg.stop());
  return pg.databaseUrl;
}

async function startTemporal(config: Config, stops: (() => Promise<void>)[], say: (line: string) => void): Promise<{ address: string; uiUrl?: string }> {
  if (config.temporal.address) return { address: config.temporal.address };
  say(`no TEMPORAL_ADDRESS: starting a Temporal dev server on port ${TEMPORAL_PORT} (state in .data/temporal.db)`);
  const server = await startTemporalDevServer({ port: TEMPORAL_PORT, uiPort: TEMPORAL_UI_PORT, dbFile: path.join(DATA_DIR, 'temporal.db'), log: say });
  stops.push(() => server.stop());
  return server;
}
