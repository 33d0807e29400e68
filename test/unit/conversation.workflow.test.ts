import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import { CONVERSATION_STATUSES, isAllowedMove, type Actor, type ConversationStatus } from '../../db/conversation-status';
import type { ConversationSnapshot } from '../../db/conversations';
import { workflowsPath } from '../../scripts/create-worker';
import { conversation } from '../../workflows/conversation';
import {
  assignUpdate,
  changeStatusUpdate,
  CONVERSATION_FAILURES,
  conversationStateQuery,
  messageAddedSignal,
  type ConversationInput,
  type StatusChangeRequest,
} from '../../workflows/definitions';
import { quietTemporalRuntime, startDevServerEnv } from '../support/stack';

/** The activities the conversation workflow calls, stubbed with their real types. */
type Activities = Pick<ReturnType<typeof createActivities>, 'loadConversation' | 'changeConversationStatus' | 'assignConversation'>;
type Handle = WorkflowHandleWithFirstExecutionRunId<typeof conversation>;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const STAFF: Actor = { type: 'staff', staffId: 5 };
const KNOWN_STAFF = [5, 42];

let env: TestWorkflowEnvironment;
/** A real dev server for what needs no timers but trips the time-skipping server (see where it is used). */
let devEnv: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let sequence = 0;

const startTimeSkipping = () =>
  TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } } });

beforeAll(async () => {
  quietTemporalRuntime();
  env = await startTimeSkipping();
  devEnv = await startDevServerEnv();
  bundle = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
});

afterAll(async () => {
  await env?.teardown();
  await devEnv?.teardown();
});

/**
 * Gives each test of the block a time-skipping server of its own, for tests that sleep through
 * timers: when a test leaves a server's clock stuck (see withWorker), under load it has once timed
 * out every test after it on that server; now it stays that test's failure alone.
 */
function ownClockPerTest(): void {
  let shared: TestWorkflowEnvironment;
  beforeEach(async () => {
    shared = env;
    env = await startTimeSkipping();
  });
  afterEach(async () => {
    const own = env;
    env = shared;
    await own.teardown();
  });
}

interface StatusChange {
  from: ConversationStatus;
  to: ConversationStatus;
  actor: Actor;
  at: number;
}

/**
 * An in-memory conversation behind the three activities, typed as the real ones. It applies what
 * it is asked (the workflow is the one that judges), times each change with the `at` it is given,
 * and notes whether two calls ever ran at once.
 */
function fakeConversation(initial: Partial<ConversationSnapshot> | null, options: { changeDelayMs?: number } = {}) {
  let stored: ConversationSnapshot | null =
    initial &&
    ({ conversationId: 1, businessId: 1, status: 'ACTIVE', assignedStaffId: null, snoozeUntil: null, lastActivityAt: 0, autoResolveAfterMs: null, ...initial } satisfies ConversationSnapshot);
  const calls: (keyof Activities)[] = [];
  const changes: StatusChange[] = [];
  const assignments: { staffId: number | null; at: number }[] = [];
  let running = 0;
  let overlapped = false;

  async function oneCall<T>(name: keyof Activities, body: () => T | Promise<T>): Promise<T> {
    calls.push(name);
    overlapped ||= running > 0;
    running++;
    try {
      return await body();
    } finally {
      running--;
    }
  }
  const current = (): ConversationSnapshot => {
    if (!stored) throw ApplicationFailure.nonRetryable('conversation 1 not found', CONVERSATION_FAILURES.notFound);
    return stored;
  };

  const activities: Activities = {
    loadConversation: ({ conversationId }) => oneCall('loadConversation', () => (stored && stored.conversationId === conversationId ? { ...stored } : null)),
    changeConversationStatus: ({ request, at }) =>
      oneCall('changeConversationStatus', async () => {
        if (options.changeDelayMs) await new Promise((r) => setTimeout(r, options.changeDelayMs));
        const previousStatus = current().status;
        stored = { ...current(), status: request.status, snoozeUntil: request.status === 'SNOOZED' ? Date.parse(request.snoozeUntil!) : null };
        changes.push({ from: previousStatus, to: request.status, actor: request.actor, at });
        return { previousStatus, changed: true, snapshot: { ...stored } };
      }),
    assignConversation: ({ staffId, at }) =>
      oneCall('assignConversation', () => {
        if (staffId !== null && !KNOWN_STAFF.includes(staffId)) {
          throw ApplicationFailure.nonRetryable(`staff ${staffId} does not belong to the business`, CONVERSATION_FAILURES.staffUnknown);
        }
        const previousStaffId = current().assignedStaffId;
        stored = { ...current(), assignedStaffId: staffId };
        assignments.push({ staffId, at });
        return { previousStaffId, changed: previousStaffId !== staffId, snapshot: { ...stored } };
      }),
  };

  return {
    activities,
    calls,
    changes,
    assignments,
    get stored() {
      return stored;
    },
    get overlapped() {
      return overlapped;
    },
    /** What storing a message does to the row before the workflow hears of it. */
    storeMessage(at: number) {
      stored = { ...current(), lastActivityAt: Math.max(current().lastActivityAt, at) };
    },
  };
}

const { EventType } = temporal.api.enums.v1;

/** Waits until no workflow task of the run is scheduled or being worked on. */
async function settled(handle: Handle): Promise<void> {
  await until(async () => {
    const last = (await handle.fetchHistory()).events?.at(-1)?.eventType;
    return last !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && last !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
  }, 'no workflow task in flight');
}

type Start = (input?: Partial<ConversationInput>) => Promise<Handle>;

/**
 * Runs a worker for one test and hands the test a way to start conversations on its task queue;
 * afterwards it terminates the ones still running, since the time-skipping server stops skipping
 * time for every later test once a timer of theirs fires into a task queue no worker polls.
 */
async function withWorker<T>(activities: Activities, run: (start: Start) => Promise<T>, on: TestWorkflowEnvironment = env): Promise<T> {
  const taskQueue = `conversation-${++sequence}`;
  const started: Handle[] = [];
  const start: Start = async (input = {}) => {
    const handle = await on.client.workflow.start(conversation, { taskQueue, workflowId: `wf-conversation-${++sequence}`, args: [{ conversationId: 1, ...input }] });
    started.push(handle);
    return handle;
  };
  const worker = await Worker.create({ connection: on.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(async () => {
    try {
      return await run(start);
    } finally {
      // Terminating a run whose workflow task is still in flight leaves the time-skipping server's
      // clock stuck as well: let the worker finish it first.
      for (const handle of started) {
        await settled(handle).catch(() => undefined);
        await handle.terminate('test over').catch(() => undefined);
      }
    }
  });
}

/** Polls until the check holds; the workflow applies signals and timers on its own schedule. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * The workflow's state, asked only while no workflow task is in flight: a query racing one leaves
 * the time-skipping server's clock stuck for the tests after.
 */
async function stateOf(handle: Handle): Promise<ConversationSnapshot | null> {
  await settled(handle);
  return handle.query(conversationStateQuery);
}

/** The failure an update was refused with. */
async function refusalOf(update: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await update.then(
    () => new Error('the update was not refused'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const changeStatus = (handle: Handle, request: StatusChangeRequest) => handle.executeUpdate(changeStatusUpdate, { args: [request] });

/** A request to move to `to`, with the snooze time a snooze needs. */
const moveTo = (to: ConversationStatus, now: number): StatusChangeRequest =>
  to === 'SNOOZED' ? { status: to, actor: STAFF, snoozeUntil: new Date(now + DAY_MS).toISOString() } : { status: to, actor: STAFF };

/** A starting row in `status`; a snoozed one stays snoozed well past the test. */
const rowIn = (status: ConversationStatus, now: number): Partial<ConversationSnapshot> => ({
  status,
  lastActivityAt: now,
  snoozeUntil: status === 'SNOOZED' ? now + 30 * DAY_MS : null,
});

const MOVES = CONVERSATION_STATUSES.flatMap((from) => CONVERSATION_STATUSES.filter((to) => to !== from).map((to) => ({ from, to, allowed: isAllowedMove(from, to) })));

describe('conversation workflow', () => {
  describe('status moves follow the contract table', () => {
    test.each(MOVES.filter((m) => m.allowed))('$from → $to is applied and reported with the previous status', async ({ from, to }) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn(from, now));

      const result = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        return changeStatus(handle, moveTo(to, now));
      });

      expect(result).toEqual({ conversationId: 1, status: to, previousStatus: from, changed: true });
      expect(fake.stored!.status).toBe(to);
      expect(fake.changes).toEqual([{ from, to, actor: STAFF, at: expect.any(Number) }]);
    });

    test.each(MOVES.filter((m) => !m.allowed))('$from → $to is refused as InvalidTransition and changes nothing', async ({ from, to }) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn(from, now));

      const { failure, state } = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        const failure = await refusalOf(changeStatus(handle, moveTo(to, now)));
        return { failure, state: await stateOf(handle) };
      });

      expect(failure.type).toBe(CONVERSATION_FAILURES.invalidTransition);
      expect(fake.stored!.status).toBe(from);
      expect(state!.status).toBe(from);
      expect(fake.calls).not.toContain('changeConversationStatus');
    });

    test.each(CONVERSATION_STATUSES.map((status) => ({ status })))('asking for the current status ($status) is a no-op', async ({ status }) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn(status, now));

      const result = await withWorker(fake.activities, async (start) => changeStatus(await start(), { status, actor: STAFF }));

      expect(result).toEqual({ conversationId: 1, status, previousStatus: status, changed: false });
      expect(fake.calls).not.toContain('changeConversationStatus');
    });

    test('every pair of statuses is covered by the table', () => {
      expect(MOVES).toHaveLength(20);
      expect(MOVES.filter((m) => m.allowed).map((m) => `${m.from}→${m.to}`)).toEqual([
        'ACTIVE→PENDING',
        'ACTIVE→SNOOZED',
        'ACTIVE→RESOLVED',
        'PENDING→ACTIVE',
        'PENDING→SNOOZED',
        'PENDING→RESOLVED',
        'SNOOZED→ACTIVE',
        'SNOOZED→RESOLVED',
        'RESOLVED→ACTIVE',
        'RESOLVED→ARCHIVED',
        'ARCHIVED→ACTIVE',
      ]);
    });
  });

  test('two status changes sent at once are applied one after the other, the second judged against the first', async () => {
    const now = await env.currentTimeMs();
    const fake = fakeConversation(rowIn('ACTIVE', now), { changeDelayMs: 300 });

    const [resolve, pend] = await withWorker(fake.activities, async (start) => {
      const handle = await start();
      await until(async () => (await stateOf(handle)) !== null, 'the conversation was loaded');
      return Promise.allSettled([changeStatus(handle, { status: 'RESOLVED', actor: STAFF }), changeStatus(handle, { status: 'PENDING', actor: STAFF })]);
    });

    expect(fake.overlapped).toBe(false);
    if (fake.changes[0].to === 'RESOLVED') {
      // RESOLVED → PENDING is not a move: the second is refused.
      expect(resolve).toEqual({ status: 'fulfilled', value: expect.objectContaining({ status: 'RESOLVED', previousStatus: 'ACTIVE' }) });
      expect(pend.status).toBe('rejected');
      expect(((pend as PromiseRejectedResult).reason as WorkflowUpdateFailedError).cause).toMatchObject({ type: CONVERSATION_FAILURES.invalidTransition });
      expect(fake.changes.map((c) => c.to)).toEqual(['RESOLVED']);
    } else {
      // PENDING then RESOLVED is valid in sequence: both succeed, the second from PENDING.
      expect(pend).toEqual({ status: 'fulfilled', value: expect.objectContaining({ status: 'PENDING', previousStatus: 'ACTIVE' }) });
      expect(resolve).toEqual({ status: 'fulfilled', value: expect.objectContaining({ status: 'RESOLVED', previousStatus: 'PENDING' }) });
      expect(fake.changes.map((c) => c.to)).toEqual(['PENDING', 'RESOLVED']);
    }
    expect(fake.stored!.status).toBe('RESOLVED');
  });

  describe('snoozing', () => {
    ownClockPerTest();
    test.each([
      { case: 'without snooze_until', snoozeUntil: (_now: number) => undefined },
      { case: 'with a snooze_until in the past', snoozeUntil: (now: number) => new Date(now - HOUR_MS).toISOString() },
    ])('a snooze $case is refused as InvalidSnooze', async ({ snoozeUntil }) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn('ACTIVE', now));

      const failure = await withWorker(fake.activities, async (start) =>
        refusalOf(changeStatus(await start(), { status: 'SNOOZED', actor: STAFF, snoozeUntil: snoozeUntil(now) })),
      );

      expect(failure.type).toBe(CONVERSATION_FAILURES.invalidSnooze);
      expect(fake.stored!.status).toBe('ACTIVE');
      expect(fake.calls).not.toContain('changeConversationStatus');
    });

    test('a conversation snoozed for 3 days comes back ACTIVE by itself when the snooze ends', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn('ACTIVE', now));
      const snoozeUntil = now + 3 * DAY_MS;

      await withWorker(fake.activities, async (start) => {
        const handle = await start();
        await changeStatus(handle, { status: 'SNOOZED', actor: STAFF, snoozeUntil: new Date(snoozeUntil).toISOString() });
        await env.sleep('2d');
        expect(fake.stored!.status).toBe('SNOOZED');

        await env.sleep(DAY_MS + 2 * HOUR_MS);
        await until(() => fake.stored!.status === 'ACTIVE', 'the snooze ended');
      });

      expect(fake.changes.at(-1)).toEqual({ from: 'SNOOZED', to: 'ACTIVE', actor: { type: 'system', reason: 'snooze_expired' }, at: expect.any(Number) });
      expect(fake.changes.at(-1)!.at).toBeGreaterThanOrEqual(snoozeUntil);
    });

    test('a snooze that ends after the auto-resolve time has passed brings the conversation back ACTIVE, not resolved at once', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn('ACTIVE', now - 5 * DAY_MS), autoResolveAfterMs: 7 * DAY_MS });
      const snoozeUntil = now + 3 * DAY_MS;

      await withWorker(fake.activities, async (start) => {
        const handle = await start();
        await changeStatus(handle, { status: 'SNOOZED', actor: STAFF, snoozeUntil: new Date(snoozeUntil).toISOString() });
        await env.sleep(3 * DAY_MS + HOUR_MS);
        await until(() => fake.changes.some((c) => c.actor.type === 'system'), 'the snooze ended');
        await env.sleep('1h');
        await until(async () => (await stateOf(handle))?.status === fake.stored!.status, 'the workflow settled');
      });

      expect(fake.changes.filter((c) => c.actor.type === 'system').map((c) => c.to)).toEqual(['ACTIVE']);
      expect(fake.stored!.status).toBe('ACTIVE');
    });
  });

  describe('auto-resolve after inactivity', () => {
    ownClockPerTest();
    const WEEK = { autoResolveAfterMs: 7 * DAY_MS };

    test.each(['ACTIVE', 'PENDING'] as const)('%s with a 7-day setting is RESOLVED 7 days after its last activity', async (status) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn(status, now), ...WEEK });

      await withWorker(fake.activities, async (start) => {
        await start();
        await env.sleep('6d');
        expect(fake.stored!.status).toBe(status);

        await env.sleep(DAY_MS + HOUR_MS);
        await until(() => fake.stored!.status === 'RESOLVED', 'auto-resolved');
      });

      expect(fake.changes).toEqual([{ from: status, to: 'RESOLVED', actor: { type: 'system', reason: 'auto_resolved' }, at: expect.any(Number) }]);
      expect(fake.changes[0].at).toBeGreaterThanOrEqual(now + 7 * DAY_MS);
    });

    test('a message added meanwhile postpones auto-resolve to 7 days after that message', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn('ACTIVE', now), ...WEEK });

      const messageAt = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        await env.sleep('5d');
        const messageAt = await env.currentTimeMs();
        fake.storeMessage(messageAt);
        await handle.signal(messageAddedSignal, { messageId: 9, direction: 'outbound', at: new Date(messageAt).toISOString() });
        await until(async () => (await stateOf(handle))?.lastActivityAt === messageAt, 'the message was noted');

        await env.sleep('3d');
        expect(fake.stored!.status).toBe('ACTIVE');
        await env.sleep('5d');
        await until(() => fake.stored!.status === 'RESOLVED', 'auto-resolved');
        return messageAt;
      });

      expect(fake.changes).toHaveLength(1);
      expect(fake.changes[0].at).toBeGreaterThanOrEqual(messageAt + 7 * DAY_MS);
    });

    test('activity the workflow was not told about (an outbound send moving last activity) is read before resolving', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn('ACTIVE', now), ...WEEK });

      const sentAt = await withWorker(fake.activities, async (start) => {
        await start();
        await env.sleep('5d');
        const sentAt = await env.currentTimeMs();
        fake.storeMessage(sentAt);

        await env.sleep('3d');
        expect(fake.stored!.status).toBe('ACTIVE');
        await env.sleep('5d');
        await until(() => fake.stored!.status === 'RESOLVED', 'auto-resolved');
        return sentAt;
      });

      expect(fake.changes).toHaveLength(1);
      expect(fake.changes[0].at).toBeGreaterThanOrEqual(sentAt + 7 * DAY_MS);
    });

    test('with auto-resolve turned off (null) a quiet ACTIVE conversation stays ACTIVE', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn('ACTIVE', now), autoResolveAfterMs: null });

      const state = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        await env.sleep('30d');
        return stateOf(handle);
      });

      expect(state!.status).toBe('ACTIVE');
      expect(fake.stored!.status).toBe('ACTIVE');
      expect(fake.calls).not.toContain('changeConversationStatus');
    });

    test('a staff re-open of a long-quiet RESOLVED conversation is not resolved again at once', async () => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn('RESOLVED', now - 10 * DAY_MS), ...WEEK });

      await withWorker(fake.activities, async (start) => {
        const handle = await start();
        await changeStatus(handle, { status: 'ACTIVE', actor: STAFF });
        await env.sleep('1d');
        await until(async () => (await stateOf(handle))?.status === fake.stored!.status, 'the workflow settled');
      });

      expect(fake.changes.map((c) => c.to)).toEqual(['ACTIVE']);
    });
  });

  describe('messages', () => {
    test.each(['PENDING', 'SNOOZED', 'RESOLVED'] as const)('an inbound message re-opens a %s conversation to ACTIVE', async (status) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation({ ...rowIn(status, now - 10 * DAY_MS), autoResolveAfterMs: 7 * DAY_MS });

      const state = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        const at = await env.currentTimeMs();
        fake.storeMessage(at);
        await handle.signal(messageAddedSignal, { messageId: 9, direction: 'inbound', at: new Date(at).toISOString() });
        await until(() => fake.stored!.status === 'ACTIVE', 're-opened');
        await until(async () => (await stateOf(handle))?.status === 'ACTIVE', 'the workflow knows it');
        return stateOf(handle);
      });

      expect(fake.changes).toEqual([{ from: status, to: 'ACTIVE', actor: { type: 'system', reason: 'inbound_message' }, at: expect.any(Number) }]);
      expect(state!.status).toBe('ACTIVE');
    });

    test.each([
      { status: 'ACTIVE', direction: 'inbound' },
      { status: 'ARCHIVED', direction: 'inbound' },
      ...(['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED', 'ARCHIVED'] as const).map((status) => ({ status, direction: 'outbound' })),
    ] as const)('an $direction message leaves a $status conversation $status', async ({ status, direction }) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn(status, now - HOUR_MS));

      const state = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        const at = await env.currentTimeMs();
        fake.storeMessage(at);
        await handle.signal(messageAddedSignal, { messageId: 9, direction, at: new Date(at).toISOString() });
        await until(async () => (await stateOf(handle))?.lastActivityAt === at, 'the message was noted');
        return stateOf(handle);
      });

      expect(state!.status).toBe(status);
      expect(fake.stored!.status).toBe(status);
      expect(fake.calls).not.toContain('changeConversationStatus');
    });
  });

  describe('assignment', () => {
    test('assigns to a staff member and back to nobody', async () => {
      const fake = fakeConversation(rowIn('ACTIVE', await env.currentTimeMs()));

      const [assigned, unassigned] = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        const assigned = await handle.executeUpdate(assignUpdate, { args: [{ staffId: 42, actor: STAFF }] });
        expect(fake.stored!.assignedStaffId).toBe(42);
        expect((await stateOf(handle))!.assignedStaffId).toBe(42);
        return [assigned, await handle.executeUpdate(assignUpdate, { args: [{ staffId: null, actor: STAFF }] })];
      });

      expect(assigned).toEqual({ conversationId: 1, assignedStaffId: 42, previousStaffId: null, changed: true });
      expect(unassigned).toEqual({ conversationId: 1, assignedStaffId: null, previousStaffId: 42, changed: true });
      expect(fake.stored!.assignedStaffId).toBeNull();
      expect(fake.assignments.map((a) => a.staffId)).toEqual([42, null]);
    });

    test('assigning staff the business does not know is refused as StaffUnknown and the workflow keeps running', async () => {
      const fake = fakeConversation(rowIn('ACTIVE', await env.currentTimeMs()));

      const { failure, description, after } = await withWorker(fake.activities, async (start) => {
        const handle = await start();
        const failure = await refusalOf(handle.executeUpdate(assignUpdate, { args: [{ staffId: 99, actor: STAFF }] }));
        const description = await handle.describe();
        const after = await handle.executeUpdate(assignUpdate, { args: [{ staffId: 5, actor: STAFF }] });
        return { failure, description, after };
      });

      expect(failure.type).toBe(CONVERSATION_FAILURES.staffUnknown);
      expect(failure.message).toContain('staff 99');
      expect(description.status.name).toBe('RUNNING');
      expect(after).toMatchObject({ assignedStaffId: 5, changed: true });
    });
  });

  // The time-skipping server starts the next run but never records the continue-as-new on the
  // first (it stays RUNNING and queries hang), so these run on the dev server; they need no timers.
  describe('continue-as-new', () => {
    test('a long history continues as new and carries status, assignee and last activity', async () => {
      const now = await devEnv.currentTimeMs();
      const fake = fakeConversation(rowIn('ACTIVE', now));

      const { state, firstRunId, currentRunId } = await withWorker(fake.activities, async (start) => {
        const handle = await start({ historyLimit: 20 });
        await handle.executeUpdate(assignUpdate, { args: [{ staffId: 42, actor: STAFF }] });
        await changeStatus(handle, { status: 'PENDING', actor: STAFF });
        let lastAt = now;
        for (let i = 1; i <= 8; i++) {
          lastAt = now + i * 1000;
          fake.storeMessage(lastAt);
          await handle.signal(messageAddedSignal, { messageId: i, direction: 'outbound', at: new Date(lastAt).toISOString() });
          const at = lastAt;
          await until(async () => (await stateOf(handle))?.lastActivityAt === at, `message ${i} noted`);
        }
        await until(async () => (await handle.describe()).runId !== handle.firstExecutionRunId, 'continued as new');
        const current = await handle.describe();
        return { state: await stateOf(handle), firstRunId: handle.firstExecutionRunId, currentRunId: current.runId };
      }, devEnv);

      expect(currentRunId).not.toBe(firstRunId);
      expect(state).toMatchObject({ status: 'PENDING', assignedStaffId: 42, lastActivityAt: now + 8000 });
      // The new run starts from the carried state, not from a fresh read.
      expect(fake.calls.filter((c) => c === 'loadConversation')).toHaveLength(1);
    });

    test('messages that arrive while the run continues as new are not lost', async () => {
      const now = await devEnv.currentTimeMs();
      const fake = fakeConversation(rowIn('ACTIVE', now));
      const times = Array.from({ length: 30 }, (_, i) => now + (i + 1) * 1000);

      const state = await withWorker(fake.activities, async (start) => {
        const handle = await start({ historyLimit: 20 });
        for (const [i, at] of times.entries()) await handle.signal(messageAddedSignal, { messageId: i, direction: 'outbound', at: new Date(at).toISOString() });
        await until(async () => (await stateOf(handle))?.lastActivityAt === times.at(-1), 'the last message noted');
        return stateOf(handle);
      }, devEnv);

      expect(state!.lastActivityAt).toBe(times.at(-1));
    });

    test('updates alone (assignments) also continue as new once the history is long', async () => {
      const fake = fakeConversation(rowIn('ACTIVE', await devEnv.currentTimeMs()));

      const { state, runs } = await withWorker(fake.activities, async (start) => {
        const handle = await start({ historyLimit: 20 });
        for (let i = 0; i < 8; i++) await handle.executeUpdate(assignUpdate, { args: [{ staffId: KNOWN_STAFF[i % 2], actor: STAFF }] });
        await until(async () => (await handle.describe()).runId !== handle.firstExecutionRunId, 'continued as new');
        return { state: await stateOf(handle), runs: new Set([handle.firstExecutionRunId, (await handle.describe()).runId]).size };
      }, devEnv);

      expect(runs).toBe(2);
      expect(state).toMatchObject({ status: 'ACTIVE', assignedStaffId: 42 });
    });
  });

  describe('end of a run', () => {
    ownClockPerTest();
    test.each(['RESOLVED', 'ARCHIVED'] as const)('a %s conversation idle for a day ends its run with the snapshot', async (status) => {
      const now = await env.currentTimeMs();
      const fake = fakeConversation(rowIn(status, now));

      const result = await withWorker(fake.activities, async (start) => (await start()).result());

      expect(result).toEqual(fake.stored);
      expect(result!.status).toBe(status);
    });

    test('a conversation the database does not know ends at once with null', async () => {
      const fake = fakeConversation(null);

      const result = await withWorker(fake.activities, async (start) => (await start()).result());

      expect(result).toBeNull();
      expect(fake.calls).toEqual(['loadConversation']);
    });
  });

  test('replaying a recorded history with the current code is deterministic', async () => {
    const now = await env.currentTimeMs();
    const fake = fakeConversation({ ...rowIn('ACTIVE', now), autoResolveAfterMs: 7 * DAY_MS });
    const workflowId = await withWorker(fake.activities, async (start) => {
      const handle = await start();
      await handle.executeUpdate(assignUpdate, { args: [{ staffId: 42, actor: STAFF }] });
      await changeStatus(handle, { status: 'SNOOZED', actor: STAFF, snoozeUntil: new Date(now + DAY_MS).toISOString() });
      await handle.signal(messageAddedSignal, { messageId: 9, direction: 'inbound', at: new Date(now + 1000).toISOString() });
      await until(() => fake.stored!.status === 'ACTIVE', 're-opened');
      await changeStatus(handle, { status: 'RESOLVED', actor: STAFF });
      await handle.result();
      return handle.workflowId;
    });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();

    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
  });
});
