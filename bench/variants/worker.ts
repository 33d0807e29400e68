/**
 * scripts/worker.ts with the benchmark's variant workflows (bench/variants/workflows.ts) in place
 * of the product's; same activities, options and environment. Started by bench/send-throughput.ts
 * for `--worker local-activities`.
 */
import { NativeConnection, bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../../config/env';
import { createOrm } from '../../db/orm';
import { createWorker } from '../../scripts/create-worker';
import { untilStopped } from '../../scripts/run-main';
import { DEFAULT_TEMPORAL_ADDRESS, sendgridFromConfig, twilioFromConfig } from '../../scripts/services';

const quietBundler = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: Record<string, unknown>) => process.stderr.write(`${message} ${JSON.stringify(meta ?? {})}\n`),
  log: () => {},
};

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const orm = await createOrm(config.databaseUrl, { poolMax: 20 });
  const connection = await NativeConnection.connect({ address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    orm,
    twilio: twilioFromConfig(config),
    sendgrid: sendgridFromConfig(config),
    config,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietBundler }),
  });
  const done = worker.run();
  await Promise.race([untilStopped(), done]);
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await done.catch(() => {});
  await connection.close();
  await orm.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`variant worker failed: ${String(error)}\n`);
  process.exit(1);
});
