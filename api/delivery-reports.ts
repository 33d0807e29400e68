import { WorkflowNotFoundError, type Client as TemporalClient } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyDeliveryEvents, applyDeliveryEventsOf, recordAndApplyDeliveryReport, recordDeliveryReport, type DeliveryReport, type RecordedReport } from '../db/delivery';
import type { MessageStatus } from '../db/message-status';
import { isFinal } from '../db/message-status';
import { Message } from '../db/entities';
import { deliveryStatusSignal, sendMessageWorkflowId, type AppliedDelivery } from '../workflows/definitions';

/**
 * Keeps a delivery report as an event and passes it on. Only news that can end a send wakes the
 * workflow waiting on it; the rest is applied here by the same rule the workflow's activity uses
 * (a signal and two workflow tasks fewer per send), as is news for a message no workflow waits on.
 */
export async function takeDeliveryReport(em: EntityManager, temporal: TemporalClient, report: DeliveryReport): Promise<RecordedReport> {
  if (report.status === null || !isFinal(report.status)) return recordAndApplyDeliveryReport(em, report);
  const recorded = await recordDeliveryReport(em, report);
  const { event, message, duplicate } = recorded;
  if (duplicate || !event || !message) return recorded;
  const final = { eventId: event.id, status: report.status };
  if (!message.awaitingDelivery || (await signalFinalNews(temporal, { messageId: message.id, final }))) await applyDeliveryEvents(em, message.id);
  return recorded;
}

/** What one message heard in a batch of stored news: the last event that can end its send, if any. */
export interface MessageNews {
  messageId: number;
  final?: { eventId: number; status: MessageStatus };
  /** The message once that news is applied, when it is already: the workflow takes it as it is. */
  applied?: AppliedDelivery;
}

/** Signals in flight at once, per batch here and in the API's delivery drainer. */
export const SIGNAL_CONCURRENCY = 32;

/**
 * takeDeliveryReport's passing-on for a batch of news already stored: one signal per message
 * whose news can end the send its workflow waits on (that workflow applies all of it), everything
 * else applied here in one go, as is news for sends whose workflow has ended.
 */
export async function passOnDeliveryNews(em: EntityManager, temporal: TemporalClient, news: MessageNews[]): Promise<void> {
  const finals = news.filter((n) => n.final).map((n) => n.messageId);
  const awaited = new Set(finals.length === 0 ? [] : (await em.find(Message, { id: { $in: finals }, awaitingDelivery: true }, { fields: ['id'] })).map((m) => m.id));
  const applyHere = news.filter((n) => !awaited.has(n.messageId)).map((n) => n.messageId);
  const toSignal = news.filter((n) => awaited.has(n.messageId));
  for (let i = 0; i < toSignal.length; i += SIGNAL_CONCURRENCY) {
    const chunk = toSignal.slice(i, i + SIGNAL_CONCURRENCY);
    const ended = await Promise.all(chunk.map((n) => signalFinalNews(temporal, n)));
    applyHere.push(...chunk.filter((_, j) => ended[j]).map((n) => n.messageId));
  }
  await applyDeliveryEventsOf(em, applyHere);
}

/** Wakes the send workflow of news that can end it; true when that workflow has ended, and nobody waits on the news. */
export async function signalFinalNews(temporal: TemporalClient, { messageId, final, applied }: MessageNews): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(sendMessageWorkflowId(messageId)).signal(deliveryStatusSignal, { ...final!, ...(applied && { applied }) });
    return false;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    return true;
  }
}
