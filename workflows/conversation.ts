import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ConversationSnapshot } from '../db/conversations';
import { autoResolves, CONVERSATION_STATUSES, isAllowedMove, reopensOnInbound, type Actor } from '../db/conversation-status';
import {
  assignUpdate,
  changeStatusUpdate,
  CONVERSATION_FAILURES,
  conversationStateQuery,
  messageAddedSignal,
  type AssignRequest,
  type AssignResult,
  type ConversationInput,
  type MessageAdded,
  type StatusChangeRequest,
  type StatusChangeResult,
} from './definitions';
import { DATABASE_RETRY } from './retry-policies';

type Activities = ReturnType<typeof createActivities>;

/** A run continues as new long before Temporal's history limits (50k events). */
const DEFAULT_HISTORY_LIMIT = 2_000;
/** A resolved or archived conversation's run ends after this long with nothing to do; the next message or change starts another. */
const IDLE_END_MS = 24 * 60 * 60 * 1000;

// Database steps are short and local: they run in the worker without a round trip through the server.
const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/**
 * The single writer of one conversation's lifecycle: status changes and assignments arrive as
 * Updates (validated here, so the caller hears a refusal at once), new messages as signals, and
 * timers bring snoozed conversations back and resolve quiet ones.
 */
export async function conversation(input: ConversationInput): Promise<ConversationSnapshot | null> {
  const { conversationId } = input;
  // Undefined until read; null when the conversation is gone. Handlers are set before the read so
  // that an update delivered with the start waits for it instead of being refused.
  let state: ConversationSnapshot | null | undefined = input.carried;
  const arrived: MessageAdded[] = [];
  let rescheduled = false;

  setHandler(conversationStateQuery, () => state ?? null);
  setHandler(messageAddedSignal, (message) => {
    arrived.push(message);
  });

  /**
   * One change at a time, in arrival order: each waits for the one before it, then is judged
   * against its outcome. (A flag and `condition` would wake every waiter at once.)
   */
  let queue: Promise<unknown> = condition(() => state !== undefined);
  let changing = 0;
  function oneAtATime<T>(change: (current: ConversationSnapshot) => Promise<T>): Promise<T> {
    changing += 1;
    const run = queue.then(() => {
      if (!state) throw ApplicationFailure.nonRetryable(`conversation ${conversationId} not found`, CONVERSATION_FAILURES.notFound);
      return change(state);
    });
    queue = run.catch(() => undefined).finally(() => (changing -= 1));
    return run;
  }

  const changeStatus = (request: StatusChangeRequest): Promise<StatusChangeResult> =>
    oneAtATime(async (current) => {
      const previousStatus = current.status;
      if (request.status === previousStatus) return { conversationId, status: previousStatus, previousStatus, changed: false };
      refuseInvalidMove(previousStatus, request);
      const at = Date.now();
      const result = await refusalsAsFailures(() => db.changeConversationStatus({ conversationId, request, at }));
      // A move counts as activity: a conversation re-opened or back from a snooze gets its full time before auto-resolve.
      state = { ...result.snapshot, lastActivityAt: Math.max(result.snapshot.lastActivityAt, at) };
      rescheduled = true;
      return { conversationId, status: state.status, previousStatus, changed: result.changed };
    });

  const assign = (request: AssignRequest): Promise<AssignResult> =>
    oneAtATime(async (current) => {
      const previousStaffId = current.assignedStaffId;
      if (request.staffId === previousStaffId) return { conversationId, assignedStaffId: previousStaffId, previousStaffId, changed: false };
      const result = await refusalsAsFailures(() => db.assignConversation({ conversationId, staffId: request.staffId, actor: request.actor, at: Date.now() }));
      state = result.snapshot;
      return { conversationId, assignedStaffId: state.assignedStaffId, previousStaffId, changed: result.changed };
    });

  setHandler(changeStatusUpdate, changeStatus, {
    validator: (request) => {
      if (!CONVERSATION_STATUSES.includes(request.status)) {
        throw ApplicationFailure.nonRetryable(`unknown status ${String(request.status)}`, CONVERSATION_FAILURES.invalidTransition);
      }
      // Before the first read there is nothing to judge by; the handler judges then.
      if (state && request.status !== state.status) refuseInvalidMove(state.status, request);
    },
  });
  setHandler(assignUpdate, assign);

  state ??= await db.loadConversation({ conversationId });
  if (!state) {
    await condition(() => allHandlersFinished());
    return null;
  }

  const systemChange = (status: StatusChangeRequest['status'], reason: Extract<Actor, { type: 'system' }>['reason']) =>
    changeStatus({ status, actor: { type: 'system', reason } }).catch((error: unknown) => {
      // A staff change got there first (say, archived meanwhile): that decision stands.
      if (error instanceof ApplicationFailure) return;
      throw error;
    });

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  for (;;) {
    const deadline = nextDeadline(state);
    const waitMs = deadline !== undefined ? Math.max(0, deadline - Date.now()) : autoResolves(state.status) || state.status === 'SNOOZED' ? undefined : IDLE_END_MS;
    rescheduled = false;
    // A long history wakes the loop too: updates that move no deadline (assignments, no-ops) grow it as well.
    const wake = () => arrived.length > 0 || rescheduled || workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested;
    const woken = waitMs === undefined ? (await condition(wake), true) : await condition(wake, waitMs);

    if (arrived.length > 0) {
      const messages = arrived.splice(0);
      const latest = Math.max(...messages.map((m) => Date.parse(m.at)));
      state = { ...state, lastActivityAt: Math.max(state.lastActivityAt, latest) };
      if (messages.some((m) => m.direction === 'inbound') && reopensOnInbound(state.status)) await systemChange('ACTIVE', 'inbound_message');
    } else if (!woken && deadline === undefined) {
      // Resolved or archived and quiet for a day: end this run once no update is still being handled.
      await condition(() => allHandlersFinished() && changing === 0);
      if (arrived.length === 0 && nextDeadline(state) === undefined) return state;
    } else if (!woken) {
      await onDeadline();
    }

    if (workflowInfo().historyLength > historyLimit || workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && changing === 0);
      // A message signalled meanwhile is handled first: continue-as-new would drop it.
      if (arrived.length === 0) await continueAsNew<typeof conversation>({ conversationId, carried: state, historyLimit: input.historyLimit });
    }
  }

  async function onDeadline(): Promise<void> {
    const current = state!;
    if (current.status === 'SNOOZED' && current.snoozeUntil !== null && current.snoozeUntil <= Date.now()) {
      await systemChange('ACTIVE', 'snooze_expired');
      return;
    }
    if (!autoResolves(current.status)) return;
    // Outbound messages and the business's setting change without telling us: read them before resolving.
    const fresh = await db.loadConversation({ conversationId });
    if (!fresh) return;
    state = { ...fresh, lastActivityAt: Math.max(fresh.lastActivityAt, current.lastActivityAt) };
    const due = nextDeadline(state);
    if (due !== undefined && due <= Date.now()) await systemChange('RESOLVED', 'auto_resolved');
  }
}

/** When the conversation next needs us without being asked: snooze expiry, or auto-resolve after inactivity. */
function nextDeadline(state: ConversationSnapshot): number | undefined {
  if (state.status === 'SNOOZED' && state.snoozeUntil !== null) return state.snoozeUntil;
  if (autoResolves(state.status) && state.autoResolveAfterMs !== null) return state.lastActivityAt + state.autoResolveAfterMs;
  return undefined;
}

function refuseInvalidMove(from: ConversationSnapshot['status'], request: StatusChangeRequest): void {
  if (!isAllowedMove(from, request.status)) {
    throw ApplicationFailure.nonRetryable(`A conversation cannot move from ${from} to ${request.status}`, CONVERSATION_FAILURES.invalidTransition);
  }
  if (request.status === 'SNOOZED' && !(request.snoozeUntil && Date.parse(request.snoozeUntil) > Date.now())) {
    throw ApplicationFailure.nonRetryable('snoozing needs a snooze_until in the future', CONVERSATION_FAILURES.invalidSnooze);
  }
}

/** Lets the activity's typed refusal end the update (not the workflow) with the same type. */
async function refusalsAsFailures<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) {
      throw ApplicationFailure.nonRetryable(error.cause.message, error.cause.type);
    }
    throw error;
  }
}
