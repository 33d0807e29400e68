import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client as TemporalClient } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallEvent } from '../db/call-log';
import { recordCallEvents, type CallStart } from '../db/voice-calls';
import { callEventSignal, SEARCH_ATTRIBUTES, voiceCallWorkflowId } from '../workflows/definitions';
import type { voiceCall } from '../workflows/voice-call';

/** Starts a call's voiceCall workflow; Twilio asking again for the same call finds the one it started. */
export async function startVoiceCall(temporal: TemporalClient, taskQueue: string, start: CallStart & { businessId: number }): Promise<void> {
  try {
    await temporal.workflow.start<typeof voiceCall>('voiceCall', {
      taskQueue,
      workflowId: voiceCallWorkflowId(start.providerMessageId),
      args: [start],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.businessId, value: start.businessId },
        { key: SEARCH_ATTRIBUTES.channel, value: 'voice' },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/**
 * Hands news of a call to its workflow. Once the workflow has ended (late news, long after the
 * call) the news is logged here, by the same rules.
 */
export async function passOnCallEvent(temporal: TemporalClient, em: EntityManager, callSid: string, event: CallEvent): Promise<void> {
  try {
    await temporal.workflow.getHandle(voiceCallWorkflowId(callSid)).signal(callEventSignal, event);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    await recordCallEvents(em, callSid, [event]);
  }
}
