import { ParentClosePolicy, proxyActivities, proxyLocalActivities, startChild, type RetryPolicy } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProcessedMessage } from '../db/inbound';
import { SEARCH_ATTRIBUTES, sendMessageWorkflowId, type ProcessMessageResult } from './definitions';
import { sendMessage } from './send-message';

type Activities = ReturnType<typeof createActivities>;

const DATABASE_RETRY: RetryPolicy = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' };

const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const temporal = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/**
 * Records a message from any channel, once per provider id (the workflow id is made of it, so a
 * provider's replay finds this one): client and conversation found or created, the message kept,
 * consent keywords honoured and answered, and the conversation's workflow told.
 */
export async function processMessage(message: ProcessedMessage): Promise<ProcessMessageResult> {
  const stored = await db.storeProcessedMessage({ message });
  if (!stored || !stored.created) return { stored, replyMessageId: null };

  await temporal.notifyConversation({ stored, direction: message.direction, at: message.at });

  if (!stored.keyword) return { stored, replyMessageId: null };
  const reply = await db.queueKeywordReply({ stored, keyword: stored.keyword, inbound: message });
  if (reply.status === 'PENDING') {
    // The reply lives on as its own send; this workflow need not wait for its delivery.
    await startChild(sendMessage, {
      workflowId: sendMessageWorkflowId(reply.messageId),
      args: [{ messageId: reply.messageId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.businessId, value: stored.businessId },
        { key: SEARCH_ATTRIBUTES.conversationId, value: stored.conversationId },
        { key: SEARCH_ATTRIBUTES.messageId, value: reply.messageId },
        { key: SEARCH_ATTRIBUTES.channel, value: 'sms' },
      ],
    });
  }
  return { stored, replyMessageId: reply.messageId };
}
