import { ApplicationFailure, Context } from '@temporalio/activity';
import { classifyProviderError } from './provider-errors';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Twilio } from 'twilio';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { Message } from '../db/entities';
import { adoptWaitingEvents, recordDeliveryReport } from '../db/delivery';
import { applyKeptEvents } from '../db/delivery-outbox';
import { withPgClient } from '../db/orm';
import { fromTwilioMessageStatus } from '../db/twilio-status';
import type { ActivityDeps } from './index';
import { messageState } from './message-state';

/** How many of the newest sends to a number a retried attempt checks for one it made itself. */
const LOST_SEND_CANDIDATES = 50;
/** Twilio's timestamps have whole seconds and its clock is not ours. */
const CLOCK_SKEW_MS = 2000;

export function createTwilioActivities({ orm, twilio, config }: Pick<ActivityDeps, 'orm' | 'twilio' | 'config'>) {
  return {
    /**
     * Hands the message to Twilio once. The provider id is stored before anything else; a retried
     * attempt first asks Twilio whether an earlier attempt got through after all.
     */
    async sendSms({ messageId }: { messageId: number }) {
      const em = orm.em.fork() as EntityManager;
      const message = await em.findOneOrFail(Message, { id: messageId });
      if (message.providerMessageId || message.hasFinalStatus()) return { state: messageState(message), adoptedEvents: 0 };
      if (!message.toAddress || !message.fromAddress) {
        throw ApplicationFailure.nonRetryable(`message ${messageId} has no sender or recipient`, 'ProviderRejected', { code: 'NO_ADDRESS' });
      }

      const earlier = Context.current().info.attempt > 1 ? await findLostSend(twilio, em, message) : undefined;
      const sent = earlier ?? (await createTwilioMessage(twilio, message, `${config.publicBaseUrl}/twilio/sms/status`));

      message.markAccepted(sent.sid, new Date());
      await em.flush();
      const adoptedEvents = await adoptWaitingEvents(em, message, 'twilio');
      return { state: messageState(message), adoptedEvents };
    },

    /**
     * Asks Twilio for the message's status when its callbacks stopped coming. SendGrid has no such
     * question to ask: an email's own events are applied, whatever they are.
     */
    async reconcileDelivery({ messageId }: { messageId: number }) {
      const em = orm.em.fork();
      const message = await em.findOneOrFail(Message, { id: messageId });
      if (message.providerMessageId && message.channel === 'sms') {
        const remote = await twilio.messages(message.providerMessageId).fetch();
        await recordDeliveryReport(em, {
          provider: 'twilio',
          channel: 'sms',
          messageId,
          providerMessageId: remote.sid,
          rawStatus: remote.status,
          status: fromTwilioMessageStatus(remote.status),
          errorCode: remote.errorCode ? String(remote.errorCode) : null,
          errorMessage: remote.errorMessage,
          occurredAt: remote.dateUpdated,
          payload: { source: 'reconcile', status: remote.status, error_code: remote.errorCode },
        });
      }
      // The workflow stops waiting after this: news that comes later is applied where it lands.
      const [applied] = await withPgClient(orm, (client) => applyKeptEvents(client, [messageId], { stopAwaiting: 'now' }));
      return { state: messageState(applied) };
    },
  };
}

async function createTwilioMessage(twilio: Twilio, message: Message, statusCallback: string): Promise<MessageInstance> {
  try {
    return await twilio.messages.create({
      to: message.toAddress!,
      from: message.fromAddress!,
      body: message.body ?? undefined,
      mediaUrl: message.mediaUrls.length > 0 ? message.mediaUrls : undefined,
      statusCallback,
    });
  } catch (error) {
    throw classifyProviderError(error);
  }
}

/**
 * The send an earlier attempt of this activity made but could not record (it crashed or timed out
 * after Twilio answered). Twilio lists newest first and filters only by date *sent*, which a
 * queued message lacks, so we match the recent sends to this number on their creation time and
 * body, skipping sids another message already owns.
 */
async function findLostSend(twilio: Twilio, em: EntityManager, message: Message): Promise<MessageInstance | undefined> {
  const candidates = await twilio.messages.list({ to: message.toAddress!, from: message.fromAddress!, limit: LOST_SEND_CANDIDATES });
  const since = message.createdAt.getTime() - CLOCK_SKEW_MS;
  const matching = candidates.filter((c) => c.body === (message.body ?? '') && c.dateCreated.getTime() >= since);
  if (matching.length === 0) return undefined;
  const known = await em.find(Message, { channel: 'sms', providerMessageId: { $in: matching.map((c) => c.sid) } }, { fields: ['providerMessageId'] });
  const knownSids = new Set(known.map((m) => m.providerMessageId));
  return matching.reverse().find((c) => !knownSids.has(c.sid));
}
