import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Client as SendGridClient } from '@sendgrid/client';
import type { Twilio } from 'twilio';
import { createActivities } from '../activities';
import type { Orm } from '../db/orm';
import type { SmsPacing } from '../db/pacing';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  orm: Orm;
  twilio: Twilio;
  sendgrid: SendGridClient;
  config: { publicBaseUrl: string; smsPacing?: SmsPacing };
  /** A prebuilt bundle (tests build one per file); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export const workflowsPath = require.resolve('../workflows');

export async function createWorker({ connection, namespace, taskQueue, orm, twilio, sendgrid, config, workflowBundle }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    activities: createActivities({ orm, twilio, sendgrid, config }),
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2000,
  });
}
