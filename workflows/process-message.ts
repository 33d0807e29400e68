import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ProcessedMessage } from '../db/inbound';
import type { ProcessMessageResult } from './definitions';
import { startSmsSend } from './start-send';
import { DATABASE_RETRY } from './retry-policies';

type Activities = ReturnType<typeof createActivities>;


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
  if (reply.status === 'PENDING') await startSmsSend({ messageId: reply.messageId, businessId: stored.businessId, conversationId: stored.conversationId });
  return { stored, replyMessageId: reply.messageId };
}
