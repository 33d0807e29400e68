import { Client, Message } from '../db/entities';
import { applyDeliveryEvents } from '../db/delivery';
import type { SendMessageState } from '../workflows/definitions';
import type { ActivityDeps } from './index';
import { messageState } from './message-state';

export interface PrepareSendResult {
  state: SendMessageState;
  /** False when there is nothing to send: canceled, opted out, or already past the provider. */
  sendable: boolean;
  /** Epoch ms of a future send_at. */
  sendAt?: number;
}

export function createMessageActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  return {
    async prepareSend({ messageId }: { messageId: number }): Promise<PrepareSendResult> {
      const em = orm.em.fork();
      const message = await em.findOneOrFail(Message, { id: messageId });
      // Compliance replies (the answer to STOP) go out to numbers that just opted out, as carriers require.
      if ((message.status === 'PENDING' || message.status === 'SCHEDULED') && message.category !== 'compliance') {
        const client = message.clientId ? await em.findOne(Client, { id: message.clientId }) : null;
        if (client?.isOptedOut(message.channel)) {
          message.cancel('OPTED_OUT', `recipient has opted out of ${message.channel}`);
          await em.flush();
        }
      }
      const sendable = (message.status === 'PENDING' || message.status === 'SCHEDULED') && !message.providerMessageId;
      return { state: messageState(message), sendable, sendAt: message.sendAt?.getTime() };
    },

    async markFailed({ messageId, errorCode, errorMessage }: { messageId: number; errorCode: string; errorMessage: string }) {
      const em = orm.em.fork();
      const message = await em.findOneOrFail(Message, { id: messageId });
      message.markFailed(errorCode, errorMessage, new Date());
      await em.flush();
      return { state: messageState(message) };
    },

    async applyDeliveryEvents({ messageId }: { messageId: number }) {
      const message = await applyDeliveryEvents(orm.em.fork(), messageId);
      return { state: messageState(message) };
    },
  };
}
