import { WorkflowExecutionAlreadyStartedError, type Client as TemporalClient } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Message } from '../db/entities';
import { SEARCH_ATTRIBUTES, sendMessageWorkflowId, type SendMessageInput } from '../workflows/definitions';

const START_CONCURRENCY = 32;

export function needsSendWorkflow(message: Message): boolean {
  return message.direction === 'outbound' && (message.status === 'PENDING' || message.status === 'SCHEDULED') && !message.providerMessageId;
}

/**
 * Starts (or finds already started) the send workflow of each message that still has to go out.
 * The workflow id is the message's, and a closed workflow is never started again here, so a
 * repeated request cannot send twice.
 */
export async function startSendWorkflows(temporal: TemporalClient, taskQueue: string, messages: Message[]): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  const pending = messages.filter(needsSendWorkflow);
  for (let i = 0; i < pending.length; i += START_CONCURRENCY) {
    await Promise.all(
      pending.slice(i, i + START_CONCURRENCY).map(async (message) => {
        const workflowId = sendMessageWorkflowId(message.id);
        try {
          await temporal.workflow.start('sendMessage', {
            taskQueue,
            workflowId,
            args: [{ messageId: message.id } satisfies SendMessageInput],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: [
              { key: SEARCH_ATTRIBUTES.businessId, value: message.businessId },
              { key: SEARCH_ATTRIBUTES.messageId, value: message.id },
              { key: SEARCH_ATTRIBUTES.channel, value: message.channel },
              ...(message.conversationId ? [{ key: SEARCH_ATTRIBUTES.conversationId, value: message.conversationId }] : []),
            ],
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
        ids.set(message.id, workflowId);
      }),
    );
  }
  return ids;
}
