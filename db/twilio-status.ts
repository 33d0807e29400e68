import type { MessageStatus } from './message-status';

/** Twilio's message status words in ours; null for words that say nothing about delivery. */
export function fromTwilioMessageStatus(word: string): MessageStatus | null {
  switch (word.toLowerCase()) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'QUEUED';
    case 'sent':
      return 'SENT';
    case 'delivered':
      return 'DELIVERED';
    case 'read':
      return 'READ';
    case 'undelivered':
      return 'UNDELIVERED';
    case 'failed':
      return 'FAILED';
    case 'canceled':
      return 'CANCELED';
    default:
      return null;
  }
}
