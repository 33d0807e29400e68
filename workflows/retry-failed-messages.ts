import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  attemptSettledSignal,
  retryProgressQuery,
  SEARCH_ATTRIBUTES,
  sendMessageWorkflowId,
  type RetryFailedInput,
  type RetryProgress,
} from './definitions';
import { sendMessage } from './send-message';
import { DATABASE_RETRY } from './retry-policies';

type Activities = ReturnType<typeof createActivities>;

const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/** Attempts in flight at once: a retry of thousands must not crowd out the business's other sends. */
const CONCURRENCY = 10;
const PAGE_SIZE = 100;
/** A run continues as new well before Temporal's history limit; each attempt adds a handful of events. */
const HISTORY_LIMIT = 10_000;

function startAttempt(businessId: number, messageId: number) {
  return startChild(sendMessage, {
    workflowId: sendMessageWorkflowId(messageId),
    args: [{ messageId, reportTo: workflowInfo().workflowId }],
    // The earlier attempt's workflow has ended; this is the next one. It outlives the retry to follow delivery.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.businessId, value: businessId },
      { key: SEARCH_ATTRIBUTES.messageId, value: messageId },
    ],
  });
}

/**
 * Retries failed messages: pages through those the filter matches (in id order, up to the
 * request's newest), and for each starts a new `sendMessage` attempt of the same message, at most
 * CONCURRENCY waiting for the provider's answer at a time. Progress by query.
 */
export async function retryFailedMessages(input: RetryFailedInput): Promise<RetryProgress> {
  const progress: RetryProgress = input.progress ?? { matched: input.matched, retried: 0, succeeded: 0, failed: 0, done: false };
  const waiting = new Set<number>(input.waiting ?? []);
  let afterId = input.afterId ?? 0;

  setHandler(retryProgressQuery, () => progress);
  setHandler(attemptSettledSignal, ({ messageId, accepted }) => {
    if (!waiting.delete(messageId)) return;
    if (accepted) progress.succeeded += 1;
    else progress.failed += 1;
  });

  while (progress.retried < input.limit) {
    const page = await db.retryablePage({ filter: input.filter, afterId, pageSize: Math.min(PAGE_SIZE, input.limit - progress.retried) });
    if (page.length === 0) break;
    for (const messageId of page) {
      afterId = messageId;
      await condition(() => waiting.size < CONCURRENCY);
      // Retried or sent by someone else since the page was read: not this retry's any more.
      if (!(await db.resetForRetry({ messageId }))) continue;
      waiting.add(messageId);
      progress.retried += 1;
      await startAttempt(input.filter.businessId, messageId).catch(() => {
        // An earlier attempt's workflow still runs (news came after it failed): it keeps the message.
        waiting.delete(messageId);
        progress.failed += 1;
      });
    }
    if (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof retryFailedMessages>({ ...input, progress, afterId, waiting: [...waiting] });
    }
  }
  await condition(() => waiting.size === 0);
  progress.done = true;
  return progress;
}
