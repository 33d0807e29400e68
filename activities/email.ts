import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Message, MessageStatusEvent } from '../db/entities';
import { adoptWaitingEvents } from '../db/delivery';
import { MESSAGE_ID_ARG } from '../db/sendgrid-events';
import type { ActivityDeps } from './index';
import { messageState } from './message-state';
import { classifyProviderError } from './provider-errors';
import { sendgridMailFor } from './providers/sendgrid-mail';
import { withSendGridReason } from './sendgrid';

export function createEmailActivities({ orm, sendgrid }: Pick<ActivityDeps, 'orm' | 'sendgrid'>) {
  const mail = sendgridMailFor(sendgrid);
  return {
    /**
     * Hands the email to SendGrid once. Our message id goes along as a custom arg, so every event
     * names its message; the X-Message-Id is stored before anything else. SendGrid has no way to
     * ask whether a send got through, so a retried attempt first looks for events about an earlier one.
     */
    async sendEmail({ messageId }: { messageId: number }) {
      const em = orm.em.fork() as EntityManager;
      const message = await em.findOneOrFail(Message, { id: messageId });
      if (message.providerMessageId || message.hasFinalStatus()) return { state: messageState(message), adoptedEvents: 0 };
      if (!message.toAddress || !message.fromAddress) {
        throw ApplicationFailure.nonRetryable(`message ${messageId} has no sender or recipient`, 'ProviderRejected', { code: 'NO_ADDRESS' });
      }

      const earlier = Context.current().info.attempt > 1 ? await findLostSend(em, messageId) : undefined;
      const providerMessageId = earlier ?? (await sendThroughSendGrid(mail, em, message));

      message.markAccepted(providerMessageId, new Date());
      await em.flush();
      const adoptedEvents = await adoptWaitingEvents(em, message, 'sendgrid');
      return { state: messageState(message), adoptedEvents };
    },
  };
}

async function sendThroughSendGrid(mail: ReturnType<typeof sendgridMailFor>, em: EntityManager, message: Message): Promise<string> {
  const business = await em.findOne(Business, { id: message.businessId }, { fields: ['emailFromName'] });
  const content = [
    ...(message.body ? [{ type: 'text/plain', value: message.body }] : []),
    ...(message.html ? [{ type: 'text/html', value: message.html }] : []),
  ] as [{ type: string; value: string }];
  try {
    const [response] = await mail.send({
      to: message.toAddress!,
      from: { email: message.fromAddress!, ...(business?.emailFromName && { name: business.emailFromName }) },
      ...(message.replyTo && { replyTo: message.replyTo }),
      subject: message.subject ?? '',
      content,
      customArgs: { [MESSAGE_ID_ARG]: String(message.id) },
      categories: [message.category],
    });
    const id = response.headers['x-message-id'] as string | undefined;
    if (!id) throw new Error('SendGrid accepted the mail without an X-Message-Id');
    return id;
  } catch (error) {
    throw classifyProviderError(withSendGridReason(error));
  }
}

/** The X-Message-Id of a send an earlier attempt made but could not record, if SendGrid's events for it came already. */
async function findLostSend(em: EntityManager, messageId: number): Promise<string | undefined> {
  const event = await em.findOne(MessageStatusEvent, { messageId, provider: 'sendgrid', providerMessageId: { $ne: null } }, { orderBy: { id: 'asc' } });
  return event?.providerMessageId ?? undefined;
}
