import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';
import type { MessageStatus } from '../message-status';

/** One raw delivery callback, kept whether or not it changed the message. */
export class MessageStatusEvent {
  id!: number;
  messageId?: number | null;
  provider!: 'twilio' | 'sendgrid' | 'api';
  providerMessageId?: string | null;
  providerEventId?: string | null;
  status?: MessageStatus | null;
  rawStatus!: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  payload: Record<string, unknown> = {};
  occurredAt?: Date | null;
  receivedAt: Date = new Date();
  appliedAt?: Date | null;

  constructor(props: Omit<MessageStatusEvent, 'id' | 'receivedAt' | 'appliedAt' | 'payload'> & { payload?: Record<string, unknown> }) {
    Object.assign(this, props);
  }
}

export const MessageStatusEventSchema = new EntitySchema<MessageStatusEvent>({
  class: MessageStatusEvent,
  tableName: 'message_status_events',
  properties: {
    id: bigintId(),
    messageId: bigintColumn({ nullable: true }),
    provider: { type: 'text' },
    providerMessageId: { type: 'text', nullable: true },
    providerEventId: { type: 'text', nullable: true },
    status: { type: 'text', nullable: true },
    rawStatus: { type: 'text' },
    errorCode: { type: 'text', nullable: true },
    errorMessage: { type: 'text', nullable: true },
    payload: { type: 'json' },
    occurredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    receivedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    appliedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
