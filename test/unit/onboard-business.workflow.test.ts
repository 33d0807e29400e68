import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { createOnboardingActivities } from '../../activities/onboarding';
import type { createPhoneNumberActivities } from '../../activities/phone-numbers';
import type { createSendGridActivities } from '../../activities/sendgrid';
import { workflowsPath } from '../../scripts/create-worker';
import type { OnboardBusinessInput } from '../../workflows/definitions';
import { onboardBusiness } from '../../workflows/onboard-business';
import { quietTemporalRuntime } from '../support/stack';

/** The activities onboardBusiness calls: those of onboarding, phone numbers and email senders. */
type Activities = ReturnType<typeof createOnboardingActivities> &
  ReturnType<typeof createPhoneNumberActivities> &
  ReturnType<typeof createSendGridActivities>;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let sequence = 0;

beforeAll(async () => {
  quietTemporalRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } } });
  bundle = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
});

afterAll(async () => {
  await env?.teardown();
});

const input: OnboardBusinessInput = {
  businessId: 9,
  apiKeyId: 3,
  locations: [
    { name: 'A', timezone: 'UTC', areaCode: '415' },
    { name: 'B', timezone: 'UTC' },
  ],
  staff: [{ firstName: 'S', lastName: 'T', role: 'staff', locationIndexes: [0] }],
  clientBatches: 2,
  email: { fromAddress: 'hi@example.com', fromName: 'Hi' },
};

/** Stub activities typed as the real ones, recording each call by name. */
function stubActivities(overrides: Partial<Activities> = {}) {
  const calls: string[] = [];
  const defaults: Activities = {
    createLocations: async () => ({ locationIds: [101, 102] }),
    createStaff: async () => ({ created: 1 }),
    importClientBatch: async () => ({ imported: 10, merged: 1, rejected: [{ row: 4, reason: 'no phone' }] }),
    purchaseNumber: async () => ({ phoneNumber: '+14155550000', sid: 'PN1' }),
    releaseNumber: async () => ({ released: 'PN1' }),
    createSender: async () => ({ senderId: 77 }),
    checkSender: async () => ({ verified: true }),
    deleteSender: async () => {},
    activateApiKey: async () => ({ api_key_prefix: 'abc' }),
    finishOnboarding: async () => {},
  };
  const merged = { ...defaults, ...overrides } as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const activities = Object.fromEntries(
    Object.entries(merged).map(([name, fn]) => [name, async (...args: unknown[]) => (calls.push(name), fn(...args))]),
  ) as unknown as Activities;
  return { activities, calls };
}

async function run(activities: Activities) {
  const taskQueue = `onboard-${++sequence}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  const workflowId = `onboard-test-${sequence}`;
  const result = await worker.runUntil(env.client.workflow.execute(onboardBusiness, { taskQueue, workflowId, args: [input] }));
  return { result, workflowId };
}

describe('onboardBusiness workflow', () => {
  test('runs every step in order, numbers only where asked for, and ends ACTIVE at full progress', async () => {
    const { activities, calls } = stubActivities();

    const { result } = await run(activities);

    expect(result).toMatchObject({ status: 'ACTIVE', progress: 1, error: null });
    expect(result.steps.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(calls).toEqual([
      'createLocations', 'createStaff', 'importClientBatch', 'importClientBatch', 'purchaseNumber',
      'createSender', 'checkSender', 'activateApiKey', 'finishOnboarding',
    ]);
    expect(result.steps.find((s) => s.name === 'clients')!.detail).toMatchObject({ imported: 20, merged: 2, rejected: 2, batches_done: 2 });
  });

  test('waits, with growing pauses, for a sender to be verified', async () => {
    let checks = 0;
    const { activities } = stubActivities({ checkSender: async () => ({ verified: ++checks >= 4 }) });

    const { result } = await run(activities);

    expect(result.status).toBe('ACTIVE');
    expect(checks).toBe(4);
  });

  test('a sender never verified fails after the deadline, and the numbers and sender are given back', async () => {
    const { activities, calls } = stubActivities({ checkSender: async () => ({ verified: false }) });

    const { result } = await run(activities);

    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/not verified in time/);
    expect(calls.slice(-3)).toEqual(['deleteSender', 'releaseNumber', 'finishOnboarding']);
    expect(Object.fromEntries(result.steps.map((s) => [s.name, s.status]))).toMatchObject({
      phone_numbers: 'COMPENSATED',
      email_sender: 'FAILED',
      api_key: 'PENDING',
    });
  });

  test('a refused purchase fails the number step without retries and ends FAILED with the reason', async () => {
    let purchases = 0;
    const { activities, calls } = stubActivities({
      purchaseNumber: async () => {
        purchases += 1;
        throw ApplicationFailure.nonRetryable('no numbers available in area code 415', 'ProviderRejected', { code: 'NO_NUMBERS' });
      },
    });

    const { result } = await run(activities);

    expect(purchases).toBe(1);
    expect(result).toMatchObject({ status: 'FAILED', error: 'no numbers available in area code 415' });
    expect(calls).not.toContain('createSender');
    expect(calls.slice(-2)).toEqual(['releaseNumber', 'finishOnboarding']);
  });

  test('replaying a recorded history with the current code is deterministic', async () => {
    let checks = 0;
    const { activities } = stubActivities({ checkSender: async () => ({ verified: ++checks >= 2 }) });
    const { workflowId } = await run(activities);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();

    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });
});
