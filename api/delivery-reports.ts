import { WorkflowNotFoundError, type Client as TemporalClient } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyDeliveryEvents, recordDeliveryReport, type DeliveryReport, type RecordedReport } from '../db/delivery';
import { isFinal } from '../db/message-status';
import { deliveryStatusSignal, sendMessageWorkflowId } from '../workflows/definitions';

/**
 * Keeps a delivery report as an event and passes it on. Only news that can end a send wakes its
 * workflow; the rest is applied here by the same rule the workflow's activity uses (a signal and
 * two workflow tasks fewer per send), as is news for a send whose workflow has ended.
 */
export async function takeDeliveryReport(em: EntityManager, temporal: TemporalClient, report: DeliveryReport): Promise<RecordedReport> {
  const recorded = await recordDeliveryReport(em, report);
  const { event, message, duplicate } = recorded;
  if (duplicate || !event || !message) return recorded;
  if (report.status === null || !isFinal(report.status)) {
    await applyDeliveryEvents(em, message.id);
    return recorded;
  }
  try {
    await temporal.workflow.getHandle(sendMessageWorkflowId(message.id)).signal(deliveryStatusSignal, { eventId: event.id, status: report.status });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    await applyDeliveryEvents(em, message.id);
  }
  return recorded;
}
