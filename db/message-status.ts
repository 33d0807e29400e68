export const MESSAGE_STATUSES = [
  'PENDING',
  'SCHEDULED',
  'QUEUED',
  'SENT',
  'DELIVERED',
  'READ',
  'UNDELIVERED',
  'FAILED',
  'CANCELED',
  'RECEIVED',
  'RECORDED',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const CHANNELS = ['sms', 'email', 'voice', 'note'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * How far along its delivery a message is. A delivery update may only raise the rank, so a late
 * `sent` after `delivered` changes nothing. Failures share a rank below DELIVERED: a provider may
 * still report a message it first called undelivered as delivered, never the reverse.
 */
const DELIVERY_RANK: Record<MessageStatus, number> = {
  PENDING: 0,
  SCHEDULED: 0,
  QUEUED: 1,
  SENT: 2,
  UNDELIVERED: 3,
  FAILED: 3,
  DELIVERED: 4,
  READ: 5,
  CANCELED: 6,
  RECEIVED: 6,
  RECORDED: 6,
};

export function isForwardMove(from: MessageStatus, to: MessageStatus): boolean {
  return DELIVERY_RANK[to] > DELIVERY_RANK[from];
}

/** Statuses after which no further delivery news is expected. */
export function isFinal(status: MessageStatus): boolean {
  return DELIVERY_RANK[status] >= 3;
}
