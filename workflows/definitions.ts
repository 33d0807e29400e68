import { defineQuery, defineSignal } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { MessageStatus } from '../db/message-status';
import type { OnboardingRecord } from '../db/onboarding-record';

export const SEARCH_ATTRIBUTES = {
  businessId: defineSearchAttributeKey('BusinessId', 'INT'),
  conversationId: defineSearchAttributeKey('ConversationId', 'INT'),
  messageId: defineSearchAttributeKey('MessageId', 'INT'),
  channel: defineSearchAttributeKey('Channel', 'KEYWORD'),
} as const;

export interface SendMessageInput {
  messageId: number;
}

export interface SendMessageState {
  messageId: number;
  status: MessageStatus;
  providerMessageId?: string;
  errorCode?: string;
  errorMessage?: string;
  /** Why the workflow is waiting, when it is: a send_at timer or delivery news. */
  waitingFor?: 'send_at' | 'provider' | 'delivery';
}

export type SendMessageResult = SendMessageState;

/** A provider told us something about the message; the details are already stored as an event. */
export interface DeliveryNotice {
  eventId: number;
  status: MessageStatus | null;
}

export const deliveryStatusSignal = defineSignal<[DeliveryNotice]>('deliveryStatus');
export const sendStatusQuery = defineQuery<SendMessageState>('status');

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
