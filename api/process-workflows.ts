import { WorkflowExecutionAlreadyStartedError, type Client as TemporalClient, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { ProcessedMessage } from '../db/inbound';
import { processMessageWorkflowId } from '../workflows/definitions';
import type { processMessage } from '../workflows/process-message';

/**
 * Starts the processMessage workflow of a provider message, or finds the one an earlier delivery
 * of it started (`replay`): the id is the provider's, and one is never started twice.
 */
export async function startProcessMessage(
  temporal: TemporalClient,
  taskQueue: string,
  message: ProcessedMessage,
): Promise<{ handle: WorkflowHandle<typeof processMessage>; replay: boolean }> {
  const workflowId = processMessageWorkflowId(message);
  try {
    const handle = await temporal.workflow.start<typeof processMessage>('processMessage', {
      taskQueue,
      workflowId,
      args: [message],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return { handle, replay: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { handle: temporal.workflow.getHandle<typeof processMessage>(workflowId), replay: true };
  }
}
