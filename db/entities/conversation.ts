import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId, timestamps } from './columns';
import type { Channel, Direction } from '../message-status';

export const CONVERSATION_STATUSES = ['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED', 'ARCHIVED'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

const PREVIEW_LENGTH = 160;

export class Conversation {
  id!: number;
  businessId!: number;
  clientId!: number;
  locationId?: number | null;
  status: ConversationStatus = 'ACTIVE';
  assignedStaffId?: number | null;
  unreadCount: number = 0;
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

  noteMessage(message: { body?: string | null; subject?: string | null; channel: Channel; direction: Direction; createdAt: Date }): void {
    if (this.lastMessageAt && this.lastMessageAt > message.createdAt) return;
    this.lastMessageAt = message.createdAt;
    this.lastMessagePreview = (message.body ?? message.subject ?? '').slice(0, PREVIEW_LENGTH);
    this.lastMessageChannel = message.channel;
    this.lastMessageDirection = message.direction;
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
