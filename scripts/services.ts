import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { sendgridClientFor } from '../activities/providers/sendgrid-base-url';
import { twilioClientFor } from '../activities/providers/twilio-base-url';
import { createApp } from '../api/app';
import { startDeliveryOutbox } from '../api/delivery-outbox';
import type { Config } from '../config/env';
import type { Orm } from '../db/orm';
import { createWorker } from './create-worker';
import { version } from './version';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function twilioFromConfig(config: Config) {
  return twilioClientFor(config.twilio);
}

export function sendgridFromConfig(config: Config) {
  return sendgridClientFor({ apiKey: config.sendgrid.apiKey ?? '', baseUrl: config.sendgrid.baseUrl });
}

export interface RunningApi {
  server: http.Server;
  temporal: Client;
  close(): Promise<void>;
}

/** The HTTP API on config.port, with one Temporal client for the process. */
export async function runApi(config: Config, orm: Orm, temporalAddress: string, logger: Logger): Promise<RunningApi> {
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const deliveryOutbox = startDeliveryOutbox({ orm, temporal, logger });
  const app = createApp({ orm, temporal, config, logger, version, deliveryOutbox });
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  return {
    server,
    temporal,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await deliveryOutbox.close();
      await connection.close();
    },
  };
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped; it stops on shutdown() or a fatal error. */
  done: Promise<void>;
  close(): Promise<void>;
}

export async function runWorker(config: Config, orm: Orm, temporalAddress: string): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    orm,
    twilio: twilioFromConfig(config),
    sendgrid: sendgridFromConfig(config),
    config,
  });
  const done = worker.run();
  return {
    worker,
    done,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => {});
      await connection.close();
    },
  };
}
