import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Message, type HoldReason } from '../db/entities';
import { DEFAULT_SMS_PACING, reserveSendSlot, type SmsPacing } from '../db/pacing';
import { quietHoursEnd } from '../db/quiet-hours';
import { smsSegments } from '../db/sms-segments';
import { applyKeptEvents } from '../db/delivery-outbox';
import { withPgClient } from '../db/orm';
import type { SendMessageState } from '../workflows/definitions';
import type { ActivityDeps } from './index';
import { messageState } from './message-state';

export interface PrepareSendResult {
  state: SendMessageState;
  /** False when there is nothing to send: canceled, opted out, or already past the provider. */
  sendable: boolean;
  /** Epoch ms to wait until: a future send_at, or the end of a hold. */
  sendAt?: number;
  /** Why a due message waits till sendAt. */
  holdReason?: HoldReason;
}

/**
 * When the business's quiet hours hold this message, until when: standard SMS only, in the time
 * zone of the conversation's location, else the client's, else the business's.
 */
async function quietHoursHold(em: EntityManager, message: Message, at: Date): Promise<Date | null> {
  if (message.channel !== 'sms' || message.category !== 'standard') return null;
  const business = await em.findOneOrFail(Business, { id: message.businessId });
  const quiet = business.inboxSettings().quiet_hours;
  if (!quiet) return null;
  const [row] = await em.execute(
    `select coalesce(cl.timezone, ll.timezone) as timezone from messages m
     left join conversations c on c.id = m.conversation_id left join locations cl on cl.id = c.location_id
     left join clients k on k.id = m.client_id left join locations ll on ll.id = k.location_id
     where m.id = ?`,
    [message.id],
  );
  return quietHoursEnd(at, (row?.timezone as string | null) ?? business.timezone, quiet);
}

/**
 * A scheduled message whose send_at has come is due: PENDING again, past the point where it can
 * be canceled. One conditional statement, so a cancel and this cannot both win.
 */
async function markDue(em: EntityManager, messageId: number): Promise<void> {
  await em.execute(
    `update messages set status = 'PENDING', updated_at = now()
     where id = ? and status = 'SCHEDULED' and (send_at is null or send_at <= now())`,
    [messageId],
  );
}

/** A paced send whose slot is this close is sent now rather than held for a timer. */
const SLOT_TOLERANCE_MS = 50;

/**
 * Why a due message must wait, and until when, or null when it may go now: the business's quiet
 * hours, then its number's pace. A message held for its pace slot goes when the slot comes, without
 * taking another.
 */
async function holdOf(em: EntityManager, message: Message, now: Date, pacing: SmsPacing): Promise<{ reason: HoldReason; until: Date } | null> {
  const quietUntil = await quietHoursHold(em, message, now);
  if (quietUntil) return { reason: 'quiet_hours', until: quietUntil };
  if (message.channel !== 'sms' || !message.fromAddress) return null;
  if (message.holdReason === 'pacing' && message.holdUntil) {
    return message.holdUntil.getTime() - now.getTime() > SLOT_TOLERANCE_MS ? { reason: 'pacing', until: message.holdUntil } : null;
  }
  const slot = await reserveSendSlot(em, message.fromAddress, smsSegments(message.body ?? ''), pacing);
  return slot.getTime() - now.getTime() > SLOT_TOLERANCE_MS ? { reason: 'pacing', until: slot } : null;
}

export function createMessageActivities({ orm, config }: Pick<ActivityDeps, 'orm'> & { config?: { smsPacing?: SmsPacing } }) {
  const pacing = config?.smsPacing ?? DEFAULT_SMS_PACING;
  return {
    async prepareSend({ messageId }: { messageId: number }): Promise<PrepareSendResult> {
      const em = orm.em.fork() as EntityManager;
      let message = await em.findOneOrFail(Message, { id: messageId });
      if (message.status === 'SCHEDULED' && !(message.sendAt && message.sendAt > new Date())) {
        await markDue(em, messageId);
        message = await em.findOneOrFail(Message, { id: messageId }, { refresh: true });
      }
      // Compliance replies (the answer to STOP) go out to numbers that just opted out, as carriers require.
      if ((message.status === 'PENDING' || message.status === 'SCHEDULED') && message.category !== 'compliance') {
        const client = message.clientId ? await em.findOne(Client, { id: message.clientId }) : null;
        if (client?.isOptedOut(message.channel)) {
          message.cancel('OPTED_OUT', `recipient has opted out of ${message.channel}`);
          await em.flush();
        }
      }
      const sendable = (message.status === 'PENDING' || message.status === 'SCHEDULED') && !message.providerMessageId;
      const now = new Date();
      if (!sendable || (message.sendAt && message.sendAt > now)) return { state: messageState(message), sendable, sendAt: message.sendAt?.getTime() };
      const hold = await holdOf(em, message, now, pacing);
      if (hold || message.holdReason) {
        message.hold(hold?.reason ?? null, hold?.until ?? null);
        await em.flush();
      }
      return hold
        ? { state: messageState(message), sendable, sendAt: hold.until.getTime(), holdReason: hold.reason }
        : { state: messageState(message), sendable };
    },

    async markFailed({ messageId, errorCode, errorMessage }: { messageId: number; errorCode: string; errorMessage: string }) {
      const em = orm.em.fork();
      const message = await em.findOneOrFail(Message, { id: messageId });
      message.markFailed(errorCode, errorMessage, new Date());
      await em.flush();
      return { state: messageState(message) };
    },

    async applyDeliveryEvents({ messageId }: { messageId: number }) {
      const [message] = await withPgClient(orm, (client) => applyKeptEvents(client, [messageId], { stopAwaiting: 'once final' }));
      if (!message) throw new Error(`message ${messageId} not found`);
      return { state: messageState(message) };
    },
  };
}
