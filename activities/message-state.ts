import type { Message } from '../db/entities';
import type { SendMessageState } from '../workflows/definitions';

/** What a send workflow reports of its message after an activity changed it. */
export function messageState(message: Message): SendMessageState {
  return {
    messageId: message.id,
    status: message.status,
    channel: message.channel,
    providerMessageId: message.providerMessageId ?? undefined,
    errorCode: message.errorCode ?? undefined,
    errorMessage: message.errorMessage ?? undefined,
  };
}
