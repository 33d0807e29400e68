import { Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { KeywordIntent } from '../db/consent';
import { queueKeywordReply, storeProcessedMessage, type ProcessedMessage, type StoredMessage } from '../db/inbound';
import { conversationWorkflowStart, messageAddedSignal } from '../workflows/definitions';
import type { ActivityDeps } from './index';

export function createInboundActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  return {
    async storeProcessedMessage({ message }: { message: ProcessedMessage }): Promise<StoredMessage | null> {
      return storeProcessedMessage(orm.em.fork() as EntityManager, message);
    },

    async queueKeywordReply({ stored, keyword, inbound }: { stored: StoredMessage; keyword: KeywordIntent; inbound: ProcessedMessage }) {
      const reply = await queueKeywordReply(orm.em.fork() as EntityManager, stored, keyword, inbound);
      return { messageId: reply.id, status: reply.status };
    },

    /** Tells the conversation's workflow about a new message, starting the workflow if none runs (a resolved one may have ended). */
    async notifyConversation({ stored, direction, at }: { stored: StoredMessage; direction: ProcessedMessage['direction']; at: string }): Promise<void> {
      const { client, info } = Context.current();
      await client.workflow.signalWithStart('conversation', {
        taskQueue: info.taskQueue,
        ...conversationWorkflowStart(stored.businessId, stored.conversationId),
        signal: messageAddedSignal,
        signalArgs: [{ messageId: stored.messageId, direction, at }],
      });
    },
  };
}
