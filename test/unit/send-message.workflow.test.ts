import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import type { MessageStatus } from '../../db/message-status';
import { workflowsPath } from '../../scripts/create-worker';
import { deliveryStatusSignal, sendCanceledSignal, sendStatusQuery, type SendMessageState } from '../../workflows/definitions';
import { sendMessage } from '../../workflows/send-message';
import { quietTemporalRuntime } from '../support/stack';

/** The activities sendMessage calls, stubbed with their real types. */
type Activities = Pick<ReturnType<typeof createActivities>, 'prepareSend' | 'sendSms' | 'markFailed' | 'applyDeliveryEvents' | 'reconcileDelivery'>;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let sequence = 0;

beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  bundle = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
});

afterAll(async () => {
  await env?.teardown();
});

const state = (status: MessageStatus, extra: Partial<SendMessageState> = {}): { state: SendMessageState } => ({ state: { messageId: 7, status, ...extra } });

/** Stub activities typed as the real ones; each records its calls. */
function stubActivities(overrides: Partial<Activities> = {}) {
  const calls: string[] = [];
  const record =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      calls.push(name);
      return fn(...args);
    };
  let deliveries = 0;
  const defaults: Activities = {
    prepareSend: async () => ({ ...state('PENDING'), sendable: true }),
    sendSms: async () => ({ ...state('QUEUED', { providerMessageId: 'SM1' }), adoptedEvents: 0 }),
    markFailed: async ({ errorCode, errorMessage }) => state('FAILED', { errorCode, errorMessage }),
    applyDeliveryEvents: async () => state((['SENT', 'DELIVERED'] as const)[Math.min(deliveries++, 1)]),
    reconcileDelivery: async () => state('SENT'),
  };
  const merged = { ...defaults, ...overrides };
  const activities = Object.fromEntries(Object.entries(merged).map(([name, fn]) => [name, record(name, fn as never)])) as unknown as Activities;
  return { activities, calls };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const HISTORY_FIXTURE = path.join(__dirname, 'fixtures', 'send-message-delivered.history.json');
const { History } = temporal.api.history.v1;
/** How a history is written as JSON, read back by History.fromObject. */
const JSON_FORM = { longs: String, enums: String, bytes: String };

/** Signals one delivery notice and waits until the workflow has applied it. */
async function deliver(handle: WorkflowHandle<typeof sendMessage>, status: MessageStatus): Promise<void> {
  await handle.signal(deliveryStatusSignal, { eventId: ++sequence, status });
  for (let i = 0; i < 100; i++) {
    const current = await handle.query(sendStatusQuery);
    if (current.status === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`workflow never reached ${status}`);
}

/** Waits until the workflow has the provider id and waits for news (its timer is running). */
async function waitingForDelivery(handle: WorkflowHandle<typeof sendMessage>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(sendStatusQuery)).waitingFor === 'delivery') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('workflow never waited for delivery');
}

async function withWorker<T>(activities: Activities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `send-${++sequence}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(run(taskQueue));
}

describe('sendMessage workflow', () => {
  test('hands the message to the provider, applies each delivery notice, and ends on DELIVERED', async () => {
    const { activities, calls } = stubActivities();

    const result = await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-delivered', args: [{ messageId: 7 }] });
      await deliver(handle, 'SENT');
      await deliver(handle, 'DELIVERED');
      return handle.result();
    });

    expect(result.status).toBe('DELIVERED');
    expect(result.waitingFor).toBeUndefined();
    expect(calls.filter((c) => c === 'sendSms')).toHaveLength(1);
    expect(calls).not.toContain('reconcileDelivery');
  });

  test('a provider rejection ends FAILED with the provider code and no retry', async () => {
    const { activities, calls } = stubActivities({
      sendSms: async () => {
        throw ApplicationFailure.nonRetryable("The 'To' number is not a valid phone number.", 'ProviderRejected', { code: 21211 });
      },
    });

    const result = await withWorker(activities, (taskQueue) => env.client.workflow.execute(sendMessage, { taskQueue, workflowId: 'wf-rejected', args: [{ messageId: 7 }] }));

    expect(result).toMatchObject({ status: 'FAILED', errorCode: '21211' });
    expect(calls.filter((c) => c === 'sendSms')).toHaveLength(1);
  });

  test('a provider that stays unavailable is retried with backoff, then the message ends FAILED as PROVIDER_UNAVAILABLE', async () => {
    const { activities, calls } = stubActivities({
      sendSms: async () => {
        throw new Error('503 Service Unavailable');
      },
    });

    const result = await withWorker(activities, (taskQueue) => env.client.workflow.execute(sendMessage, { taskQueue, workflowId: 'wf-unavailable', args: [{ messageId: 7 }] }));

    expect(result).toMatchObject({ status: 'FAILED', errorCode: 'PROVIDER_UNAVAILABLE' });
    expect(calls.filter((c) => c === 'sendSms').length).toBe(15);
  });

  test('when no callback comes for 48 hours, the workflow asks the provider itself and ends', async () => {
    const { activities, calls } = stubActivities();

    const result = await withWorker(activities, (taskQueue) => env.client.workflow.execute(sendMessage, { taskQueue, workflowId: 'wf-deadline', args: [{ messageId: 7 }] }));

    expect(result.status).toBe('SENT');
    expect(calls).toEqual(['prepareSend', 'sendSms', 'reconcileDelivery']);
  });

  test('a message with send_at waits on a durable timer before the provider call', async () => {
    let sendAt: number | undefined;
    const { activities, calls } = stubActivities({
      // The test server's clock runs ahead of the wall clock as tests skip time: schedule from its time.
      prepareSend: async () => ({ ...state('SCHEDULED'), sendable: true, sendAt: (sendAt ??= (await env.currentTimeMs()) + DAY_MS) }),
    });

    await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-scheduled', args: [{ messageId: 7 }] });
      await env.sleep('1h');
      expect(await handle.query(sendStatusQuery)).toMatchObject({ status: 'SCHEDULED', waitingFor: 'send_at' });
      expect(calls).not.toContain('sendSms');

      await env.sleep('24h');
      await deliver(handle, 'SENT');
      await deliver(handle, 'DELIVERED');
      await handle.result();
    });

    expect(calls).toContain('sendSms');
  });

  test('consent is read again when the send_at timer fires: a client who opted out meanwhile gets nothing', async () => {
    let sendAt: number | undefined;
    let optedOut = false;
    const { activities, calls } = stubActivities({
      prepareSend: async () =>
        optedOut
          ? { ...state('CANCELED', { errorCode: 'OPTED_OUT' }), sendable: false }
          : { ...state('SCHEDULED'), sendable: true, sendAt: (sendAt ??= (await env.currentTimeMs()) + DAY_MS) },
    });

    const result = await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-scheduled-optout', args: [{ messageId: 7 }] });
      await env.sleep('1h');
      optedOut = true;
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'CANCELED', errorCode: 'OPTED_OUT' });
    expect(calls).toEqual(['prepareSend', 'prepareSend']);
  });

  test('a cancel while it waits for send_at ends the workflow at once, without a provider call', async () => {
    let sendAt: number | undefined;
    let canceled = false;
    const { activities, calls } = stubActivities({
      prepareSend: async () =>
        canceled
          ? { ...state('CANCELED', { errorCode: 'CANCELED' }), sendable: false }
          : { ...state('SCHEDULED'), sendable: true, sendAt: (sendAt ??= (await env.currentTimeMs()) + 30 * DAY_MS) },
    });

    const { result, history } = await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-scheduled-cancel', args: [{ messageId: 7 }] });
      await env.sleep('1h');
      canceled = true;
      await handle.signal(sendCanceledSignal);
      return { result: await handle.result(), history: await handle.fetchHistory() };
    });

    expect(result).toMatchObject({ status: 'CANCELED' });
    expect(calls).toEqual(['prepareSend', 'prepareSend']);
    // Woken by the signal, not by its send_at timer.
    const events = history.events ?? [];
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect(events.some((e) => e.timerFiredEventAttributes)).toBe(false);
  });

  test('a due message held by quiet hours waits till they end, saying so, then goes out', async () => {
    let heldUntil: number | undefined;
    const { activities, calls } = stubActivities({
      prepareSend: async () => {
        const now = await env.currentTimeMs();
        heldUntil ??= now + 10 * 60 * 60 * 1000;
        return now < heldUntil ? { ...state('PENDING'), sendable: true, sendAt: heldUntil, holdReason: 'quiet_hours' as const } : { ...state('PENDING'), sendable: true };
      },
    });

    await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-quiet-hours', args: [{ messageId: 7 }] });
      await env.sleep('1h');
      expect(await handle.query(sendStatusQuery)).toMatchObject({ waitingFor: 'quiet_hours' });
      expect(calls).not.toContain('sendSms');
      await env.sleep('10h');
      await deliver(handle, 'SENT');
      await deliver(handle, 'DELIVERED');
      await handle.result();
    });

    expect(calls).toEqual(['prepareSend', 'prepareSend', 'sendSms', 'applyDeliveryEvents', 'applyDeliveryEvents']);
  });

  test('a message that is not sendable (opted out, canceled) ends without a provider call', async () => {
    const { activities, calls } = stubActivities({
      prepareSend: async () => ({ ...state('CANCELED', { errorCode: 'OPTED_OUT' }), sendable: false }),
    });

    const result = await withWorker(activities, (taskQueue) => env.client.workflow.execute(sendMessage, { taskQueue, workflowId: 'wf-optout', args: [{ messageId: 7 }] }));

    expect(result).toMatchObject({ status: 'CANCELED', errorCode: 'OPTED_OUT' });
    expect(calls).toEqual(['prepareSend']);
  });

  test('events that arrived before the provider id was stored are applied right after the send', async () => {
    const { activities, calls } = stubActivities({
      sendSms: async () => ({ ...state('QUEUED', { providerMessageId: 'SM1' }), adoptedEvents: 2 }),
      applyDeliveryEvents: async () => state('DELIVERED'),
    });

    const result = await withWorker(activities, (taskQueue) => env.client.workflow.execute(sendMessage, { taskQueue, workflowId: 'wf-adopted', args: [{ messageId: 7 }] }));

    expect(result.status).toBe('DELIVERED');
    expect(calls).toEqual(['prepareSend', 'sendSms', 'applyDeliveryEvents']);
  });

  test('a notice that comes with its news applied ends the workflow with the message as it says, without a database step', async () => {
    const { activities, calls } = stubActivities();

    const result = await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-applied', args: [{ messageId: 7 }] });
      await waitingForDelivery(handle);
      await handle.signal(deliveryStatusSignal, {
        eventId: ++sequence,
        status: 'UNDELIVERED',
        applied: { status: 'UNDELIVERED', errorCode: '30003', errorMessage: 'Unreachable destination handset' },
      });
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'UNDELIVERED', errorCode: '30003', errorMessage: 'Unreachable destination handset', providerMessageId: 'SM1' });
    expect(calls).toEqual(['prepareSend', 'sendSms']);
  });

  test('the database steps run as local activities in the workflow task; only the provider call is an activity task', async () => {
    const { activities } = stubActivities({ applyDeliveryEvents: async () => state('DELIVERED') });

    await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-local', args: [{ messageId: 7 }] });
      await deliver(handle, 'DELIVERED');
      await handle.result();
    });
    const { events } = await env.client.workflow.getHandle('wf-local').fetchHistory();

    const scheduled = (events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    const markers = (events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(scheduled).toEqual(['sendSms']);
    expect(markers).toHaveLength(2);
  });

  test('a history recorded from the current code replays deterministically', async () => {
    const { activities } = stubActivities({ applyDeliveryEvents: async () => state('DELIVERED') });
    await withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(sendMessage, { taskQueue, workflowId: 'wf-replay', args: [{ messageId: 7 }] });
      await waitingForDelivery(handle);
      await deliver(handle, 'DELIVERED');
      await handle.result();
    });
    const history = await env.client.workflow.getHandle('wf-replay').fetchHistory();
    if (process.env.UPDATE_HISTORY_FIXTURES) writeFileSync(HISTORY_FIXTURE, `${JSON.stringify(History.toObject(History.fromObject(history), JSON_FORM), null, 1)}\n`);

    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'wf-replay')).resolves.toBeUndefined();
  });

  // Regenerate after a deliberate change of the workflow's commands (and think of running
  // workflows): UPDATE_HISTORY_FIXTURES=1 npx jest test/unit/send-message.workflow.test.ts
  test('the checked-in history of a delivered send still replays with the current code', async () => {
    const history = History.fromObject(JSON.parse(readFileSync(HISTORY_FIXTURE, 'utf8')));

    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'wf-replay')).resolves.toBeUndefined();
  });
});
