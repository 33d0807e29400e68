import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId, timestamps } from './columns';
import { isAllowedMove, type Actor, type ConversationStatus } from '../conversation-status';
import type { Channel, Direction } from '../message-status';

export { CONVERSATION_STATUSES, type ConversationStatus } from '../conversation-status';

export class InvalidTransition extends Error {
  constructor(readonly from: ConversationStatus, readonly to: ConversationStatus) {
    super(`A conversation cannot move from ${from} to ${to}`);
  }
}

export interface StatusChange {
  to: ConversationStatus;
  actor: Actor;
  at: Date;
  /** Required when snoozing; a time after `at`. */
  snoozeUntil?: Date | null;
  resolutionNote?: string | null;
}

export class Conversation {
  id!: number;
  businessId!: number;
  clientId!: number;
  locationId?: number | null;
  status: ConversationStatus = 'ACTIVE';
  assignedStaffId?: number | null;
  unreadCount: number = 0;
  channels: Channel[] = [];
  lastMessageAt?: Date | null;
  lastMessagePreview?: string | null;
  lastMessageChannel?: Channel | null;
  lastMessageDirection?: Direction | null;
  snoozeUntil?: Date | null;
  resolvedAt?: Date | null;
  resolvedByStaffId?: number | null;
  resolutionNote?: string | null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(props: { businessId: number; clientId: number; locationId?: number | null }) {
    Object.assign(this, props);
  }

  /** When the conversation last saw a message, or its creation when it has none. */
  lastActivityAt(): Date {
    return this.lastMessageAt ?? this.createdAt;
  }

  /**
   * Moves to another status by the contract's table, keeping the timestamps and resolution
   * details that belong to it. Returns false for the current status, which is a no-op.
   */
  moveTo(change: StatusChange): boolean {
    const { to, actor, at } = change;
    if (to === this.status) return false;
    if (!isAllowedMove(this.status, to)) throw new InvalidTransition(this.status, to);
    if (to === 'SNOOZED' && !(change.snoozeUntil && change.snoozeUntil > at)) {
      throw new RangeError('snoozing needs a snooze_until in the future');
    }
    this.status = to;
    this.snoozeUntil = to === 'SNOOZED' ? change.snoozeUntil : null;
    if (to === 'RESOLVED') {
      this.resolvedAt = at;
      this.resolvedByStaffId = actor.type === 'staff' ? actor.staffId : null;
      this.resolutionNote = change.resolutionNote ?? null;
    } else if (to === 'ACTIVE') {
      this.resolvedAt = null;
      this.resolvedByStaffId = null;
      this.resolutionNote = null;
    }
    this.updatedAt = at;
    return true;
  }
}

export const ConversationSchema = new EntitySchema<Conversation>({
  class: Conversation,
  tableName: 'conversations',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    clientId: bigintColumn(),
    locationId: bigintColumn({ nullable: true }),
    status: { type: 'text' },
    assignedStaffId: bigintColumn({ nullable: true }),
    unreadCount: { type: 'integer' },
    channels: { type: 'text[]' },
    lastMessageAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    lastMessagePreview: { type: 'text', nullable: true },
    lastMessageChannel: { type: 'text', nullable: true },
    lastMessageDirection: { type: 'text', nullable: true },
    snoozeUntil: { type: 'Date', columnType: 'timestamptz', nullable: true },
    resolvedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    resolvedByStaffId: bigintColumn({ nullable: true }),
    resolutionNote: { type: 'text', nullable: true },
    ...timestamps(),
  },
});
