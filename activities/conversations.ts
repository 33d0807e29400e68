import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  assignConversation,
  changeConversationStatus,
  ConversationConflict,
  ConversationNotFound,
  conversationSnapshot,
  StaffNotAssignable,
  type ConversationSnapshot,
} from '../db/conversations';
import type { Actor } from '../db/conversation-status';
import { InvalidTransition } from '../db/entities';
import { CONVERSATION_FAILURES, type StatusChangeRequest } from '../workflows/definitions';
import type { ActivityDeps } from './index';

/** Domain refusals end the workflow's update with a typed failure the API turns into a 4xx; they are never retried. */
function refusal(error: unknown): never {
  if (error instanceof InvalidTransition) throw ApplicationFailure.nonRetryable(error.message, CONVERSATION_FAILURES.invalidTransition);
  if (error instanceof RangeError) throw ApplicationFailure.nonRetryable(error.message, CONVERSATION_FAILURES.invalidSnooze);
  if (error instanceof ConversationConflict) throw ApplicationFailure.nonRetryable(error.message, CONVERSATION_FAILURES.conflict);
  if (error instanceof ConversationNotFound) throw ApplicationFailure.nonRetryable(error.message, CONVERSATION_FAILURES.notFound);
  if (error instanceof StaffNotAssignable) {
    const type = error.reason === 'unknown' ? CONVERSATION_FAILURES.staffUnknown : CONVERSATION_FAILURES.staffInactive;
    throw ApplicationFailure.nonRetryable(error.message, type);
  }
  throw error;
}

export function createConversationActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  const em = () => orm.em.fork() as EntityManager;
  return {
    async loadConversation({ conversationId }: { conversationId: number }): Promise<ConversationSnapshot | null> {
      return conversationSnapshot(em(), conversationId);
    },

    /** `at` is the workflow's time of the change, so a replayed or retried call stores the same time. */
    async changeConversationStatus({ conversationId, request, at }: { conversationId: number; request: StatusChangeRequest; at: number }) {
      return changeConversationStatus(em(), conversationId, {
        to: request.status,
        actor: request.actor,
        at: new Date(at),
        snoozeUntil: request.snoozeUntil ? new Date(request.snoozeUntil) : null,
        resolutionNote: request.resolutionNote ?? null,
      }).catch(refusal);
    },

    async assignConversation({ conversationId, staffId, actor, at }: { conversationId: number; staffId: number | null; actor: Actor; at: number }) {
      return assignConversation(em(), conversationId, staffId, actor, new Date(at)).catch(refusal);
    },
  };
}
