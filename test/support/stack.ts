import http from 'node:http';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { sendgridClientFor } from '../../activities/providers/sendgrid-base-url';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { BaseUrlRequestClient, twilioClientFor } from '../../activities/providers/twilio-base-url';
import { createApp } from '../../api/app';
import { startDeliveryOutbox, type DeliveryOutbox } from '../../api/delivery-outbox';
import { loadConfig, type Config } from '../../config/env';
import { createOrm, type Orm } from '../../db/orm';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { createWorker, workflowsPath } from '../../scripts/create-worker';
import { DEV_SERVER_DYNAMIC_CONFIG_ARGS } from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestStack {
  orm: Orm;
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  config: Config;
  baseUrl: string;
  worker: Worker;
  deliveryOutbox: DeliveryOutbox;
  close(): Promise<void>;
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (its global setup provides it)');
  return url;
}

let runtimeInstalled = false;

/** The SDK's own logs only for errors: tests assert on behaviour, not on worker chatter. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export async function startDevServerEnv(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI! },
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      extraArgs: ['--log-level', 'error', ...DEV_SERVER_DYNAMIC_CONFIG_ARGS],
    },
  });
}

/** A message the provider accepted, as its create answer tells. */
export interface ProviderAnswer {
  sid: string;
  to: string;
  body: string;
}

export interface TestStackOptions {
  callbackDelayMs?: number;
  /**
   * Runs when the provider has accepted a message and before the worker's send sees the answer:
   * a test can hold it there, so that callbacks arrive before the provider id is stored.
   */
  beforeProviderAnswer?: (answer: ProviderAnswer) => Promise<void>;
  /**
   * Segments per second a long code may send. Tests send many messages from one tenant number at
   * once, so by default the pace is lifted; the pacing tests set it.
   */
  smsRateLongCode?: number;
}

/** The sandbox client, with the answer to each message create passed through a hook first. */
class AnswerHookRequestClient extends BaseUrlRequestClient {
  constructor(
    baseUrl: string,
    private readonly hook: (answer: ProviderAnswer) => Promise<void>,
  ) {
    super(baseUrl);
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const response = await super.request(opts);
    if (opts.method.toLowerCase() === 'post' && opts.uri.endsWith('/Messages.json') && response.statusCode === 201) {
      const body: unknown = response.body;
      await this.hook((typeof body === 'string' ? JSON.parse(body) : body) as ProviderAnswer);
    }
    return response;
  }
}

/**
 * The whole system for one test file: the real database, a real Temporal dev server, the worker,
 * the provider sandbox and the HTTP API on a free port that the sandbox calls back.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const orm = await createOrm(testDatabaseUrl(), { poolMax: 10 });
  const env = await startDevServerEnv();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const config0 = loadConfig({ PROVIDER_MODE: 'sandbox' });
  const sandbox = createSandbox({
    twilio: { accountSid: config0.twilio.accountSid, authToken: config0.twilio.authToken },
    sendgrid: { apiKey: config0.sendgrid.apiKey! },
    sendgridEventWebhookUrl: `http://127.0.0.1:${port}/email/webhook`,
    callbackDelayMs: options.callbackDelayMs ?? 30,
  });
  const sandboxUrl = await sandbox.listen(0, '127.0.0.1');
  const config = loadConfig({
    PORT: String(port),
    PROVIDER_MODE: 'sandbox',
    SANDBOX_URL: sandboxUrl,
    OMEGA_ADMIN_API_KEY: ADMIN_KEY,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    LOG_LEVEL: 'silent',
    SMS_RATE_LONG_CODE: String(options.smsRateLongCode ?? 1000),
  });
  const logger = pino({ level: 'silent' });
  const deliveryOutbox = startDeliveryOutbox({ orm, temporal: env.client, logger });
  const app = createApp({ orm, temporal: env.client, config, logger, deliveryOutbox });
  server.on('request', app.callback());

  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: config.temporal.taskQueue,
    orm,
    twilio: options.beforeProviderAnswer
      ? twilio(config.twilio.accountSid, config.twilio.authToken, { httpClient: new AnswerHookRequestClient(sandboxUrl, options.beforeProviderAnswer) })
      : twilioClientFor(config.twilio),
    sendgrid: sendgridClientFor({ apiKey: config.sendgrid.apiKey!, baseUrl: config.sendgrid.baseUrl }),
    config,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: silentBundlerLogger }),
  });
  const running = worker.run();

  return {
    orm,
    env,
    sandbox,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    worker,
    deliveryOutbox,
    async close() {
      worker.shutdown();
      await running;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await deliveryOutbox.close();
      await sandbox.close();
      await env.teardown();
      await orm.close();
    },
  };
}

const silentBundlerLogger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta),
  log: () => {},
};
