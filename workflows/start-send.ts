import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES, sendMessageWorkflowId } from './definitions';
import { sendMessage } from './send-message';

/**
 * Starts the send of an SMS this workflow queued (a keyword's answer, a missed call's text-back).
 * It lives on as its own send; the parent need not wait for its delivery.
 */
export async function startSmsSend({ messageId, businessId, conversationId }: { messageId: number; businessId: number; conversationId: number }): Promise<void> {
  await startChild(sendMessage, {
    workflowId: sendMessageWorkflowId(messageId),
    args: [{ messageId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.businessId, value: businessId },
      { key: SEARCH_ATTRIBUTES.conversationId, value: conversationId },
      { key: SEARCH_ATTRIBUTES.messageId, value: messageId },
      { key: SEARCH_ATTRIBUTES.channel, value: 'sms' },
    ],
  });
}
