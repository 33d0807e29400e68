import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';
import type { Actor, ConversationStatus } from '../conversation-status';

export type ConversationEventKind = 'status' | 'assignment' | 'note';

/** One entry of a conversation's history: a status change, an assignment or a note, with who made it. */
export class ConversationEvent {
  id!: number;
  businessId!: number;
  conversationId!: number;
  kind!: ConversationEventKind;
  actorType!: Actor['type'];
  actorStaffId?: number | null;
  reason?: string | null;
  fromStatus?: ConversationStatus | null;
  toStatus?: ConversationStatus | null;
  fromStaffId?: number | null;
  toStaffId?: number | null;
  messageId?: number | null;
  note?: string | null;
  snoozeUntil?: Date | null;
  createdAt: Date = new Date();

  constructor(
    conversation: { id: number; businessId: number },
    kind: ConversationEventKind,
    actor: Actor,
    details: Partial<Pick<ConversationEvent, 'fromStatus' | 'toStatus' | 'fromStaffId' | 'toStaffId' | 'messageId' | 'note' | 'snoozeUntil' | 'createdAt'>> = {},
  ) {
    this.businessId = conversation.businessId;
    this.conversationId = conversation.id;
    this.kind = kind;
    this.actorType = actor.type;
    this.actorStaffId = actor.type === 'staff' ? actor.staffId : null;
    this.reason = actor.type === 'system' ? actor.reason : null;
    Object.assign(this, details);
  }
}

export const ConversationEventSchema = new EntitySchema<ConversationEvent>({
  class: ConversationEvent,
  tableName: 'conversation_events',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    conversationId: bigintColumn(),
    kind: { type: 'text' },
    actorType: { type: 'text' },
    actorStaffId: bigintColumn({ nullable: true }),
    reason: { type: 'text', nullable: true },
    fromStatus: { type: 'text', nullable: true },
    toStatus: { type: 'text', nullable: true },
    fromStaffId: bigintColumn({ nullable: true }),
    toStaffId: bigintColumn({ nullable: true }),
    messageId: bigintColumn({ nullable: true }),
    note: { type: 'text', nullable: true },
    snoozeUntil: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});
