import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler, sleep, type RetryPolicy } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { OnboardingRecord, OnboardingStep } from '../db/onboarding-record';
import { onboardingStatusQuery, type OnboardBusinessInput } from './definitions';

type Activities = ReturnType<typeof createActivities>;

/** Database steps: quick and idempotent; a handful of tries, then the step fails and we compensate. */
const DATABASE_RETRY: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 };
/** Provider steps: outages are retried for a few minutes; a refusal is final. */
const PROVIDER_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 };
/** Compensations must get through: they retry until the provider is back. */
const COMPENSATION_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' };
/** A sender the provider has not verified in this time fails the step. */
const SENDER_VERIFICATION_DEADLINE_MS = 60 * 60 * 1000;
/** Verification takes a person clicking a link: look soon, then less and less often. */
const SENDER_POLL_FIRST_MS = 1000;
const SENDER_POLL_MAX_MS = 60_000;

const db = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: DATABASE_RETRY });
const provider = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: PROVIDER_RETRY });
const compensation = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: COMPENSATION_RETRY });

export const ONBOARDING_STEPS = ['locations', 'staff', 'clients', 'phone_numbers', 'email_sender', 'api_key', 'activate'] as const;
type StepName = (typeof ONBOARDING_STEPS)[number];

/**
 * Onboards a business as a saga: each step is recorded as it runs; when one fails, what earlier
 * steps bought (phone numbers, the email sender) is given back, and the business ends FAILED.
 */
export async function onboardBusiness(input: OnboardBusinessInput): Promise<OnboardingRecord> {
  const record: OnboardingRecord = {
    status: 'ONBOARDING',
    steps: ONBOARDING_STEPS.map((name) => ({ name, status: 'PENDING', started_at: null, finished_at: null, error: null })),
    progress: 0,
    error: null,
  };
  const step = (name: StepName) => record.steps.find((s) => s.name === name)!;
  let clientShare = 0;
  const updateProgress = () => {
    const done = record.steps.filter((s) => s.status === 'COMPLETED' || s.status === 'SKIPPED').length;
    const partial = step('clients').status === 'RUNNING' ? clientShare : 0;
    record.progress = Math.round(((done + partial) / record.steps.length) * 1000) / 1000;
  };
  setHandler(onboardingStatusQuery, () => record);
  const compensations: { step: StepName; undo: () => Promise<unknown> }[] = [];

  async function run(name: StepName, work: (s: OnboardingStep) => Promise<Record<string, unknown> | 'skipped'>): Promise<void> {
    const s = step(name);
    s.status = 'RUNNING';
    s.started_at = new Date().toISOString();
    try {
      const outcome = await work(s);
      s.status = outcome === 'skipped' ? 'SKIPPED' : 'COMPLETED';
      if (outcome !== 'skipped') s.detail = { ...s.detail, ...outcome };
    } catch (error) {
      s.status = 'FAILED';
      s.error = reason(error);
      throw error;
    } finally {
      s.finished_at = new Date().toISOString();
      updateProgress();
    }
  }

  try {
    let locationIds: number[] = [];
    await run('locations', async () => {
      ({ locationIds } = await db.createLocations({ businessId: input.businessId, locations: input.locations }));
      return { created: locationIds.length };
    });
    await run('staff', async () => db.createStaff({ businessId: input.businessId, staff: input.staff, locationIds }));
    await run('clients', async (s) => {
      if (input.clientBatches === 0) return 'skipped';
      const totals = { imported: 0, merged: 0, rejected: 0, rejected_rows: [] as { row: number; reason: string }[] };
      for (let batchNo = 0; batchNo < input.clientBatches; batchNo++) {
        const outcome = await db.importClientBatch({ businessId: input.businessId, batchNo, locationIds });
        totals.imported += outcome.imported;
        totals.merged += outcome.merged;
        totals.rejected += outcome.rejected.length;
        totals.rejected_rows.push(...outcome.rejected.slice(0, Math.max(0, 50 - totals.rejected_rows.length)));
        clientShare = (batchNo + 1) / input.clientBatches;
        s.detail = { ...totals, batches_done: batchNo + 1, batches: input.clientBatches };
        updateProgress();
      }
      return totals;
    });
    await run('phone_numbers', async () => {
      const bought: string[] = [];
      for (const [index, location] of input.locations.entries()) {
        if (!location.phoneNumber && !location.areaCode) continue;
        const locationId = locationIds[index];
        compensations.push({ step: 'phone_numbers', undo: () => compensation.releaseNumber({ locationId }) });
        const number = await provider.purchaseNumber({ locationId, phoneNumber: location.phoneNumber, areaCode: location.areaCode });
        bought.push(number.phoneNumber);
      }
      return bought.length > 0 ? { numbers: bought } : 'skipped';
    });
    let verifiedSender: OnboardBusinessInput['email'];
    await run('email_sender', async () => {
      if (!input.email) return 'skipped';
      const { senderId } = await provider.createSender({ businessId: input.businessId, ...input.email });
      compensations.push({ step: 'email_sender', undo: () => compensation.deleteSender({ senderId }) });
      const deadline = Date.now() + SENDER_VERIFICATION_DEADLINE_MS;
      for (let wait = SENDER_POLL_FIRST_MS; !(await provider.checkSender({ senderId })).verified; wait = Math.min(wait * 2, SENDER_POLL_MAX_MS)) {
        if (Date.now() >= deadline) throw ApplicationFailure.nonRetryable(`sender ${input.email.fromAddress} was not verified in time`, 'SenderNotVerified');
        await sleep(wait);
      }
      verifiedSender = input.email;
      return { sender_id: senderId, from_address: input.email.fromAddress };
    });
    await run('api_key', async () => db.activateApiKey({ apiKeyId: input.apiKeyId }));
    await run('activate', async () => {
      const final: OnboardingRecord = { ...record, status: 'ACTIVE', progress: 1, steps: record.steps.map(completedActivate) };
      await db.finishOnboarding({ businessId: input.businessId, apiKeyId: input.apiKeyId, record: final, emailSender: verifiedSender });
      return {};
    });
    record.status = 'ACTIVE';
  } catch (error) {
    record.error = reason(error);
    for (const { step: name, undo } of compensations.reverse()) {
      await undo();
      if (step(name).status === 'COMPLETED') step(name).status = 'COMPENSATED';
    }
    // FAILED only once everything bought is given back, so a caller that sees it sees the end.
    await db.finishOnboarding({ businessId: input.businessId, apiKeyId: input.apiKeyId, record: { ...record, status: 'FAILED' } });
    record.status = 'FAILED';
  }
  return record;
}

/** The record as it will read once the activate step, which stores it, has finished. */
function completedActivate(s: OnboardingStep): OnboardingStep {
  return s.name === 'activate' ? { ...s, status: 'COMPLETED', finished_at: new Date().toISOString() } : s;
}

function reason(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
