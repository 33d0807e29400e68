import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { bigintColumn, bigintId, timestamps } from './columns';
import { applyCallEvent, callSummary, deliveryStatusOfCall, newCallLog, type CallEvent, type CallLog } from '../call-log';
import { isFinal, isForwardMove, type Channel, type Direction, type MessageStatus } from '../message-status';

export interface DeliveryUpdate {
  status: MessageStatus;
  at: Date;
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** Compliance replies (STOP and HELP answers) ignore opt-outs and quiet hours; transactional messages ignore quiet hours. */
export type MessageCategory = 'standard' | 'transactional' | 'compliance';

/** Why a due message waits. */
export type HoldReason = 'quiet_hours' | 'pacing';

export class Message {
  [OptionalProps]?: 'status' | 'mediaUrls' | 'attempts' | 'isRead' | 'category' | 'awaitingDelivery' | 'createdAt' | 'updatedAt';
  id!: number;
  businessId!: number;
  conversationId?: number | null;
  clientId?: number | null;
  channel!: Channel;
  direction!: Direction;
  status: MessageStatus = 'PENDING';
  body?: string | null;
  subject?: string | null;
  html?: string | null;
  /** Email only: where answers go when not to the sender. */
  replyTo?: string | null;
  fromAddress?: string | null;
  toAddress?: string | null;
  mediaUrls: string[] = [];
  requestId?: string | null;
  requestHash?: string | null;
  providerMessageId?: string | null;
  /**
   * Its send workflow waits for the news that ends the send: such news wakes the workflow.
   * Otherwise (the workflow stopped waiting, or the message was only recorded) news is applied
   * where it lands, with no signal. It stops only once the workflow has heard its final news (or
   * gave up at its deadline): news applied before the workflow heard must still wake it.
   */
  awaitingDelivery: boolean = false;
  errorCode?: string | null;
  errorMessage?: string | null;
  attempts: number = 0;
  isRead: boolean = false;
  category: MessageCategory = 'standard';
  holdReason?: HoldReason | null;
  holdUntil?: Date | null;
  staffId?: number | null;
  sendAt?: Date | null;
  createdAt: Date = new Date();
  sentAt?: Date | null;
  deliveredAt?: Date | null;
  /** Voice only: what is known of the call. */
  call?: CallLog | null;
  updatedAt: Date = new Date();

  hasFinalStatus(): boolean {
    return isFinal(this.status);
  }

  /** Keeps a due message waiting, saying why and until when; null releases it. */
  hold(reason: HoldReason | null, until: Date | null): void {
    this.holdReason = reason;
    this.holdUntil = reason ? until : null;
  }

  /** The provider took the message: remember its id before anything else can go wrong. */
  markAccepted(providerMessageId: string, at: Date): void {
    this.providerMessageId = providerMessageId;
    this.hold(null, null);
    this.attempts += 1;
    this.awaitingDelivery = true;
    this.applyDelivery({ status: 'QUEUED', at });
  }

  /** Its send workflow stops waiting (the message is final, or the deadline passed): later news is applied where it lands. */
  stopAwaitingDelivery(): void {
    this.awaitingDelivery = false;
  }

  markFailed(errorCode: string, errorMessage: string, at: Date): void {
    this.attempts += 1;
    this.applyDelivery({ status: 'FAILED', at, errorCode, errorMessage });
  }

  cancel(errorCode: string, errorMessage: string): void {
    if (this.hasFinalStatus()) throw new Error(`message ${this.id} is ${this.status} and cannot be canceled`);
    this.status = 'CANCELED';
    this.errorCode = errorCode;
    this.errorMessage = errorMessage;
  }

  /**
   * Takes in news of the call this message logs: its log, the line the timeline shows, the
   * delivery status of an outbound call, and who answered an inbound one.
   */
  applyCallEvent(event: CallEvent): void {
    if (this.channel !== 'voice') throw new Error(`message ${this.id} is ${this.channel}, not a call`);
    const log = applyCallEvent(this.call ?? newCallLog(), this.direction, event);
    this.call = log;
    this.body = callSummary(this.direction, log);
    if (this.direction === 'outbound') this.applyDelivery({ status: deliveryStatusOfCall(log.status), at: new Date(event.at) });
    else this.staffId ??= log.answered_by_staff_id;
  }

  /**
   * Applies a provider's delivery news. Returns false, changing nothing, when it would move the
   * message backwards: callbacks arrive late, twice and out of order.
   */
  applyDelivery(update: DeliveryUpdate): boolean {
    if (!isForwardMove(this.status, update.status)) return false;
    this.status = update.status;
    if (update.status === 'SENT' || update.status === 'DELIVERED' || update.status === 'READ') this.sentAt ??= update.at;
    if (update.status === 'DELIVERED' || update.status === 'READ') this.deliveredAt ??= update.at;
    if (update.status === 'FAILED' || update.status === 'UNDELIVERED') {
      this.errorCode = update.errorCode ?? this.errorCode ?? null;
      this.errorMessage = update.errorMessage ?? this.errorMessage ?? null;
    } else if (update.status === 'DELIVERED' || update.status === 'READ') {
      this.errorCode = null;
      this.errorMessage = null;
    }
    return true;
  }
}

export const MessageSchema = new EntitySchema<Message>({
  class: Message,
  tableName: 'messages',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    conversationId: bigintColumn({ nullable: true }),
    clientId: bigintColumn({ nullable: true }),
    channel: { type: 'text' },
    direction: { type: 'text' },
    status: { type: 'text' },
    body: { type: 'text', nullable: true },
    subject: { type: 'text', nullable: true },
    html: { type: 'text', nullable: true },
    replyTo: { type: 'text', nullable: true },
    fromAddress: { type: 'text', nullable: true },
    toAddress: { type: 'text', nullable: true },
    mediaUrls: { type: 'json' },
    requestId: { type: 'text', nullable: true },
    requestHash: { type: 'text', nullable: true },
    providerMessageId: { type: 'text', nullable: true },
    awaitingDelivery: { type: 'boolean' },
    errorCode: { type: 'text', nullable: true },
    errorMessage: { type: 'text', nullable: true },
    attempts: { type: 'integer' },
    isRead: { type: 'boolean' },
    category: { type: 'text' },
    holdReason: { type: 'text', nullable: true },
    holdUntil: { type: 'Date', columnType: 'timestamptz', nullable: true },
    staffId: bigintColumn({ nullable: true }),
    sendAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    sentAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    deliveredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    call: { type: 'json', nullable: true },
    ...timestamps(),
  },
});
