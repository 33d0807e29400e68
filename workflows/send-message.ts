import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { isFinal } from '../db/message-status';
import {
  attemptSettledSignal,
  type AppliedDelivery,
  deliveryStatusSignal,
  sendCanceledSignal,
  sendStatusQuery,
  type SendMessageInput,
  type SendMessageResult,
  type SendMessageState,
} from './definitions';
import { DATABASE_RETRY } from './retry-policies';

type Activities = ReturnType<typeof createActivities>;

/** A provider call: backs off further and gives up after about an hour of outage. */
const PROVIDER_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 15 };
/** How long we wait for a provider's final word before asking it ourselves. */
const DELIVERY_DEADLINE_MS = 48 * 60 * 60 * 1000;

// The database steps run as local activities: inside the workflow task, in the worker, with no
// activity task through the server. The provider calls stay normal activities (own timeouts,
// visible attempts, a retry may wait minutes).
const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const provider = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: PROVIDER_RETRY });

/**
 * Sends one message and follows it to a final status. Only news that can end it reaches the
 * workflow (the status webhook applies `queued`/`sent` itself), so between the send and the final
 * status the `status` query reports what the workflow last applied; the message row has the rest.
 */
export async function sendMessage({ messageId, reportTo }: SendMessageInput): Promise<SendMessageResult> {
  const state: SendMessageState = { messageId, status: 'PENDING' };
  /** News heard and not yet applied by anyone: the workflow applies it. */
  let newsToApply = false;
  /** The message as the last notice that came with its news applied says it is. */
  let appliedNews: AppliedDelivery | undefined;
  setHandler(deliveryStatusSignal, ({ applied }) => {
    if (applied) appliedNews = applied;
    else newsToApply = true;
  });
  const heardNews = () => newsToApply || appliedNews !== undefined;
  setHandler(sendStatusQuery, () => state);
  let canceled = false;
  setHandler(sendCanceledSignal, () => {
    canceled = true;
  });

  /** Tells the workflow that asked (a retry) what became of this attempt; one that has ended hears nothing. */
  const settle = async (accepted: boolean): Promise<void> => {
    if (!reportTo) return;
    await getExternalWorkflowHandle(reportTo)
      .signal(attemptSettledSignal, { messageId, accepted, status: state.status, errorCode: state.errorCode })
      .catch(() => undefined);
  };

  let prepared = await db.prepareSend({ messageId });
  Object.assign(state, prepared.state);
  if (!prepared.sendable) {
    await settle(false);
    return state;
  }

  // After a send_at timer or a hold (quiet hours), consent, the schedule and the holds are read
  // again right before the provider call: the client may have opted out, or the message been
  // canceled or moved, meanwhile.
  while (prepared.sendAt !== undefined && prepared.sendAt > Date.now()) {
    state.waitingFor = prepared.holdReason ?? 'send_at';
    await condition(() => canceled, prepared.sendAt - Date.now());
    prepared = await db.prepareSend({ messageId });
    Object.assign(state, prepared.state);
    if (!prepared.sendable) {
      state.waitingFor = undefined;
      await settle(false);
      return state;
    }
  }

  state.waitingFor = 'provider';
  try {
    const sent = await (state.channel === 'email' ? provider.sendEmail : provider.sendSms)({ messageId });
    Object.assign(state, sent.state);
    if (sent.adoptedEvents > 0) newsToApply = true;
  } catch (error) {
    const failure = providerFailure(error);
    if (!failure) throw error;
    Object.assign(state, (await db.markFailed({ messageId, ...failure })).state);
    state.waitingFor = undefined;
    await settle(false);
    return state;
  }
  await settle(true);

  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  state.waitingFor = 'delivery';
  // A notice that came with the one that ended it (a late `read` after `delivered`) is taken too.
  while (!isFinal(state.status) || heardNews()) {
    const remaining = deadline - Date.now();
    if (!heardNews() && !(remaining > 0 && (await condition(heardNews, remaining)))) {
      Object.assign(state, (await provider.reconcileDelivery({ messageId })).state);
      break;
    }
    if (appliedNews) Object.assign(state, appliedNews);
    appliedNews = undefined;
    if (newsToApply) {
      newsToApply = false;
      Object.assign(state, (await db.applyDeliveryEvents({ messageId })).state);
    }
  }
  state.waitingFor = undefined;
  return state;
}

/** Why a send ended without the provider taking it, or undefined for an error that is not a send's. */
function providerFailure(error: unknown): { errorCode: string; errorMessage: string } | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === 'ProviderRejected') {
    const [details] = cause.details as [{ code?: string | number } | undefined];
    return { errorCode: String(details?.code ?? 'PROVIDER_REJECTED'), errorMessage: cause.message };
  }
  // Retries ran out on transient errors: the provider never took the message.
  return { errorCode: 'PROVIDER_UNAVAILABLE', errorMessage: cause?.message ?? error.message };
}
