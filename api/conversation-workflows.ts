import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client as TemporalClient } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Conversation } from '../db/entities';
import { CONVERSATION_FAILURES, conversationWorkflowStart, messageAddedSignal, type MessageAdded } from '../workflows/definitions';
import { Conflict, NotFound } from './errors';

const START_CONCURRENCY = 32;

function startOptions(taskQueue: string, businessId: number, conversationId: number) {
  return { taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' as const, ...conversationWorkflowStart(businessId, conversationId) };
}

/** Starts the lifecycle workflow of each conversation, or leaves the one already running. */
export async function startConversationWorkflows(temporal: TemporalClient, taskQueue: string, businessId: number, conversationIds: number[]): Promise<void> {
  for (let i = 0; i < conversationIds.length; i += START_CONCURRENCY) {
    await Promise.all(
      conversationIds.slice(i, i + START_CONCURRENCY).map((id) => temporal.workflow.start('conversation', startOptions(taskQueue, businessId, id))),
    );
  }
}

/** Tells a conversation's workflow about a message stored without one, starting the workflow if none runs. */
export async function notifyConversation(
  temporal: TemporalClient,
  taskQueue: string,
  conversation: { businessId: number; conversationId: number },
  added: MessageAdded,
): Promise<void> {
  await temporal.workflow.signalWithStart('conversation', {
    taskQueue,
    ...conversationWorkflowStart(conversation.businessId, conversation.conversationId),
    signal: messageAddedSignal,
    signalArgs: [added],
  });
}

const REFUSALS: Record<string, (message: string) => Error> = {
  [CONVERSATION_FAILURES.invalidTransition]: (m) => new Conflict(m),
  [CONVERSATION_FAILURES.invalidSnooze]: (m) => new Conflict(m),
  [CONVERSATION_FAILURES.conflict]: (m) => new Conflict(m),
  [CONVERSATION_FAILURES.staffInactive]: (m) => new Conflict(m),
  [CONVERSATION_FAILURES.staffUnknown]: (m) => new NotFound(m),
  [CONVERSATION_FAILURES.notFound]: (m) => new NotFound(m),
};

/** A run that is just ending (resolved and idle) can refuse an update it was handed; the next start takes it. */
const isClosingRace = (error: unknown) => error instanceof Error && /already completed|workflow execution.*(completed|not found)/i.test(error.message);

/**
 * Sends an update to the conversation's workflow, starting the workflow first when none runs, and
 * turns the workflow's refusals into the API's 404 and 409.
 */
export async function updateConversation<Ret, Args extends unknown[]>(
  temporal: TemporalClient,
  taskQueue: string,
  conversation: Pick<Conversation, 'id' | 'businessId'>,
  update: UpdateDefinition<Ret, Args>,
  ...args: Args
): Promise<Ret> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await temporal.workflow.executeUpdateWithStart(update, {
        args,
        startWorkflowOperation: new WithStartWorkflowOperation('conversation', startOptions(taskQueue, conversation.businessId, conversation.id)),
      });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type) {
        const refusal = REFUSALS[error.cause.type];
        if (refusal) throw refusal(error.cause.message);
      }
      if (attempt < 3 && isClosingRace(error)) continue;
      throw error;
    }
  }
}
