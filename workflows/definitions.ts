import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { CallEvent, CallLog } from '../db/call-log';
import type { Message } from '../db/entities';
import type { ConversationSnapshot } from '../db/conversations';
import type { ProcessedMessage, StoredMessage } from '../db/inbound';
import type { RetryFilter } from '../db/retries';
import type { Actor, ConversationStatus } from '../db/conversation-status';
import type { Channel, Direction, MessageStatus } from '../db/message-status';
import type { OnboardingRecord } from '../db/onboarding-record';
import type { TextBack } from '../db/voice-calls';

export const SEARCH_ATTRIBUTES = {
  businessId: defineSearchAttributeKey('BusinessId', 'INT'),
  conversationId: defineSearchAttributeKey('ConversationId', 'INT'),
  messageId: defineSearchAttributeKey('MessageId', 'INT'),
  channel: defineSearchAttributeKey('Channel', 'KEYWORD'),
} as const;

export interface SendMessageInput {
  messageId: number;
  /** A workflow to tell, by the attemptSettled signal, whether the provider took this attempt (a retry's parent). */
  reportTo?: string;
}

/** What became of one provider attempt: taken by the provider, or not (failed, canceled, opted out). */
export interface AttemptSettled {
  messageId: number;
  accepted: boolean;
  status: MessageStatus;
  errorCode?: string;
}

export const attemptSettledSignal = defineSignal<[AttemptSettled]>('attemptSettled');

export interface SendMessageState {
  messageId: number;
  status: MessageStatus;
  /** Which provider call sends it; absent in histories from before email (they were all SMS). */
  channel?: Channel;
  providerMessageId?: string;
  errorCode?: string;
  errorMessage?: string;
  /** Why the workflow is waiting, when it is: a send_at timer or delivery news. */
  waitingFor?: 'send_at' | 'quiet_hours' | 'pacing' | 'provider' | 'delivery';
}

export type SendMessageResult = SendMessageState;

/** The message's delivery as it stands once news is applied. */
export type AppliedDelivery = Pick<SendMessageState, 'status' | 'errorCode' | 'errorMessage'>;

export const appliedDelivery = (message: Pick<Message, 'status' | 'errorCode' | 'errorMessage'>): AppliedDelivery => ({
  status: message.status,
  errorCode: message.errorCode ?? undefined,
  errorMessage: message.errorMessage ?? undefined,
});

/** A provider told us something about the message; the details are already stored as an event. */
export interface DeliveryNotice {
  eventId: number;
  status: MessageStatus | null;
  /**
   * The message after the news, when whoever sent the notice applied it already (the API's
   * delivery drainer does); without it the workflow applies the news itself.
   */
  applied?: AppliedDelivery;
}

export const deliveryStatusSignal = defineSignal<[DeliveryNotice]>('deliveryStatus');
export const sendStatusQuery = defineQuery<SendMessageState>('status');
/** The message was canceled while it waited for send_at: stop waiting. */
export const sendCanceledSignal = defineSignal('canceled');

export const sendMessageWorkflowId = (messageId: number): string => `message-${messageId}`;

export interface OnboardLocation {
  name: string;
  address?: string;
  timezone: string;
  email?: string;
  /** A number to buy as it is, or an area code to buy one in. */
  phoneNumber?: string;
  areaCode?: string;
}

export interface OnboardStaff {
  firstName: string;
  lastName: string;
  email?: string;
  phone?: string;
  role: string;
  locationIndexes: number[];
}

export interface OnboardBusinessInput {
  businessId: number;
  apiKeyId: number;
  locations: OnboardLocation[];
  staff: OnboardStaff[];
  /** Client rows are staged in the database by the API; the workflow carries only their count. */
  clientBatches: number;
  email?: { fromAddress: string; fromName: string };
}

export const onboardingStatusQuery = defineQuery<OnboardingRecord>('progress');

export const onboardWorkflowId = (businessId: number): string => `onboard-business-${businessId}`;

export interface ConversationInput {
  conversationId: number;
  /** The state a previous run handed over with continue-as-new; a fresh run reads it from the database. */
  carried?: ConversationSnapshot;
  /** History length after which a run continues as new (tests lower it). */
  historyLimit?: number;
}

export interface StatusChangeRequest {
  status: ConversationStatus;
  actor: Actor;
  /** ISO time; required when snoozing. */
  snoozeUntil?: string | null;
  resolutionNote?: string | null;
}

export interface StatusChangeResult {
  conversationId: number;
  status: ConversationStatus;
  previousStatus: ConversationStatus;
  changed: boolean;
}

export interface AssignRequest {
  staffId: number | null;
  actor: Actor;
}

export interface AssignResult {
  conversationId: number;
  assignedStaffId: number | null;
  previousStaffId: number | null;
  changed: boolean;
}

/** A message was stored in the conversation. */
export interface MessageAdded {
  messageId: number;
  direction: Direction;
  /** ISO time the message was stored. */
  at: string;
}

/** Failure types the conversation's updates end with, which the API answers as 4xx. */
export const CONVERSATION_FAILURES = {
  invalidTransition: 'InvalidTransition',
  invalidSnooze: 'InvalidSnooze',
  conflict: 'ConversationConflict',
  staffUnknown: 'StaffUnknown',
  staffInactive: 'StaffInactive',
  notFound: 'ConversationNotFound',
} as const;

export const changeStatusUpdate = defineUpdate<StatusChangeResult, [StatusChangeRequest]>('changeStatus');
export const assignUpdate = defineUpdate<AssignResult, [AssignRequest]>('assign');
export const messageAddedSignal = defineSignal<[MessageAdded]>('messageAdded');
export const conversationStateQuery = defineQuery<ConversationSnapshot | null>('state');

export const conversationWorkflowId = (conversationId: number): string => `conversation-${conversationId}`;

/** How every caller starts a conversation's workflow (add the task queue): its id, input and search attributes. */
export function conversationWorkflowStart(businessId: number, conversationId: number) {
  return {
    workflowId: conversationWorkflowId(conversationId),
    args: [{ conversationId }] as [ConversationInput],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.businessId, value: businessId },
      { key: SEARCH_ATTRIBUTES.conversationId, value: conversationId },
    ],
  };
}

export interface ProcessMessageResult {
  /** Null when no business has our side's number or address: nothing was stored. */
  stored: StoredMessage | null;
  /** The compliance reply queued for a STOP, START or HELP. */
  replyMessageId: number | null;
}

export const processMessageWorkflowId = (message: Pick<ProcessedMessage, 'direction' | 'channel' | 'providerMessageId'>): string =>
  message.direction === 'inbound' ? `inbound-${message.providerMessageId}` : `outbound-${message.channel}-${message.providerMessageId}`;

export interface RetryFailedInput {
  filter: RetryFilter;
  /** How many messages at most. */
  limit: number;
  /** The messages the request matched, for progress. */
  matched: number;
  /** Carried over continue-as-new. */
  progress?: RetryProgress;
  afterId?: number;
  waiting?: number[];
}

export interface RetryProgress {
  matched: number;
  /** New provider attempts started. */
  retried: number;
  /** Attempts the provider took. */
  succeeded: number;
  /** Attempts that failed again, or could not go out (opted out, canceled). */
  failed: number;
  done: boolean;
}

export const retryProgressQuery = defineQuery<RetryProgress>('progress');

export const retryWorkflowId = (businessId: number, key: string): string => `retry-${businessId}-${key}`;

/** The business a retry workflow id belongs to, or null when it is not one. */
export function businessOfRetryWorkflow(workflowId: string): number | null {
  const match = /^retry-(\d{1,16})-[\w-]{1,64}$/.exec(workflowId);
  return match ? Number(match[1]) : null;
}

/** Where one call's workflow stands, and what it came to: its log entry, and what became of a missed call's text-back. */
export interface VoiceCallState {
  /** Null when no business has the number called or calling. */
  stored: StoredMessage | null;
  call: CallLog | null;
  textBack: TextBack | null;
}

export const voiceCallWorkflowId = (callSid: string): string => `call-${callSid}`;
/** Twilio told us something about the call (from any of its webhooks). */
export const callEventSignal = defineSignal<[CallEvent]>('callEvent');
export const voiceCallStateQuery = defineQuery<VoiceCallState>('state');
