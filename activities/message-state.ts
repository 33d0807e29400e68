import type { Message } from '../db/entities';
import { appliedDelivery, type SendMessageState } from '../workflows/definitions';

/** What a send workflow reports of its message after an activity changed it. */
export function messageState(message: Message): SendMessageState {
  return {
    messageId: message.id,
    channel: message.channel,
    providerMessageId: message.providerMessageId ?? undefined,
    ...appliedDelivery(message),
  };
}
