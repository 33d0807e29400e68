export const CONVERSATION_STATUSES = ['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED', 'ARCHIVED'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** The contract's table of allowed moves; asking for the current status is a no-op, not a move. */
const ALLOWED_MOVES: Record<ConversationStatus, readonly ConversationStatus[]> = {
  ACTIVE: ['PENDING', 'SNOOZED', 'RESOLVED'],
  PENDING: ['ACTIVE', 'SNOOZED', 'RESOLVED'],
  SNOOZED: ['ACTIVE', 'RESOLVED'],
  RESOLVED: ['ACTIVE', 'ARCHIVED'],
  ARCHIVED: ['ACTIVE'],
};

export function isAllowedMove(from: ConversationStatus, to: ConversationStatus): boolean {
  return ALLOWED_MOVES[from].includes(to);
}

/** Statuses that a new inbound message re-opens to ACTIVE. */
export function reopensOnInbound(status: ConversationStatus): boolean {
  return status === 'PENDING' || status === 'SNOOZED' || status === 'RESOLVED';
}

/** Statuses in which a conversation still waits on the business, so inactivity may resolve it. */
export function autoResolves(status: ConversationStatus): boolean {
  return status === 'ACTIVE' || status === 'PENDING';
}

/** Who changed a conversation: a staff member, an API caller without a staff identity, or omega itself (and why). */
export type Actor =
  | { type: 'staff'; staffId: number }
  | { type: 'api' }
  | { type: 'system'; reason: 'inbound_message' | 'snooze_expired' | 'auto_resolved' };

/** The default inactivity after which an ACTIVE or PENDING conversation is resolved; businesses may change or turn it off. */
export const DEFAULT_AUTO_RESOLVE_HOURS = 7 * 24;
