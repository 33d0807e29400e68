import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallEvent, CallLog } from './call-log';
import { PREVIEW_LENGTH } from './conversations';
import { Business, Client, Location, Message, Staff } from './entities';
import type { ProcessedMessage } from './inbound';
import type { Direction, MessageStatus } from './message-status';
import { insertOutboundMessages, openConversations } from './sends';
import { pgArray } from './sql';

/** A call as first logged: a voice message between a client's phone and a location's number. */
export type CallStart = ProcessedMessage & { channel: 'voice' };

/** Twilio rings at most ten parties of one <Dial> at once. */
const MAX_RINGING = 10;

export interface InboundCallRoute {
  businessId: number;
  businessName: string;
  locationId: number;
  locationName: string;
  /** The browser identities of the location's active staff, rung together. */
  staffIdentities: string[];
  recordCalls: boolean;
}

export const voiceIdentity = (staffId: number): string => `staff_${staffId}`;

/** Whose number was called, and who there may answer: null when no business has the number. */
export async function routeInboundCall(em: EntityManager, to: string): Promise<InboundCallRoute | null> {
  const location = await em.findOne(Location, { phoneNumber: to });
  if (!location) return null;
  const business = await em.findOneOrFail(Business, { id: location.businessId });
  const staff = await em.execute(
    `select id from staff where business_id = ? and is_active and ? = any(location_ids) order by id limit ${MAX_RINGING}`,
    [location.businessId, location.id],
  );
  return {
    businessId: business.id,
    businessName: business.name,
    locationId: location.id,
    locationName: location.name,
    staffIdentities: staff.map((s) => voiceIdentity(Number(s.id))),
    recordCalls: business.inboxSettings().record_calls,
  };
}

export interface StaffCallRoute {
  businessId: number;
  staffId: number;
  /** The location number the client sees calling. */
  callerId: string;
  recordCalls: boolean;
}

/**
 * A staff member's call out to a client: from the location they name, else the client's, else
 * their own first, else any of the business's with a number. Null for an unknown or inactive
 * staff member, or a business without a number.
 */
export async function routeStaffCall(em: EntityManager, staffId: number, to: string, locationId: number | null): Promise<StaffCallRoute | null> {
  const staff = await em.findOne(Staff, { id: staffId, isActive: true });
  if (!staff) return null;
  const business = await em.findOneOrFail(Business, { id: staff.businessId });
  const [location] = await em.execute(
    `select l.phone_number from locations l
     where l.business_id = ? and l.phone_number is not null
     order by l.id = ? desc nulls last,
              l.id = (select c.location_id from clients c where c.business_id = l.business_id and c.phone = ?) desc nulls last,
              l.id = any(?::bigint[]) desc, l.id
     limit 1`,
    [staff.businessId, locationId !== null && (staff.locationIds.length === 0 || staff.locationIds.includes(locationId)) ? locationId : null, to, pgArray(staff.locationIds)],
  );
  if (!location) return null;
  return { businessId: staff.businessId, staffId: staff.id, callerId: location.phone_number, recordCalls: business.inboxSettings().record_calls };
}

/** A call's log entry as it stands. */
export interface CallState {
  messageId: number;
  businessId: number;
  conversationId: number;
  clientId: number;
  direction: Direction;
  call: CallLog;
}

/**
 * Takes in news of a call, in one transaction with its log entry locked: the webhooks of one call
 * arrive together. The conversation's preview follows while the call is its latest message.
 * Null for a call that was never logged.
 */
export async function recordCallEvents(em: EntityManager, callSid: string, events: CallEvent[]): Promise<CallState | null> {
  return em.transactional(async (tx) => {
    const message = await tx.findOne(Message, { channel: 'voice', providerMessageId: callSid }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!message) return null;
    for (const event of events) message.applyCallEvent(event);
    await tx.flush();
    await tx.execute(`update conversations set last_message_preview = left(?, ${PREVIEW_LENGTH}) where id = ? and last_message_at = ?`, [
      message.body,
      message.conversationId,
      message.createdAt,
    ]);
    return {
      messageId: message.id,
      businessId: message.businessId,
      conversationId: message.conversationId!,
      clientId: message.clientId!,
      direction: message.direction,
      call: message.call!,
    };
  });
}

/** Seconds after a missed call its text-back waits, or null when the business sends none. */
export async function missedCallTextBackDelay(em: EntityManager, businessId: number): Promise<number | null> {
  const business = await em.findOne(Business, { id: businessId });
  return business?.inboxSettings().missed_call_text_back?.delay_seconds ?? null;
}

/** Whether the client and the business spoke by phone since the call began: the client called again, or was called back. */
async function calledSince(em: EntityManager, call: Message): Promise<boolean> {
  const [later] = await em.execute(`select 1 from messages where client_id = ? and channel = 'voice' and id <> ? and created_at >= ? limit 1`, [
    call.clientId,
    call.id,
    call.createdAt,
  ]);
  return later !== undefined;
}

export type TextBack = { queued: { messageId: number; status: MessageStatus } } | { skipped: 'not_missed' | 'off' | 'called_since' };

/**
 * The text-back for a missed call, as an outbound SMS of the client's conversation, from the
 * number they called: stored PENDING (or CANCELED as opted out) for a sendMessage workflow to
 * send, checking consent and quiet hours as every send does. Keyed by the call, so asking again
 * finds the same message. Skipped when the call was answered after all, the business turned the
 * text-back off, or the two spoke by phone since.
 */
export async function queueMissedCallTextBack(em: EntityManager, callSid: string): Promise<TextBack> {
  return em.transactional(async (tx) => {
    const call = await tx.findOne(Message, { channel: 'voice', providerMessageId: callSid }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!call?.call?.missed || call.direction !== 'inbound') return { skipped: 'not_missed' };
    if (call.call.text_back_message_id) {
      const queued = await tx.findOneOrFail(Message, { id: call.call.text_back_message_id });
      return { queued: { messageId: queued.id, status: queued.status } };
    }
    const business = await tx.findOneOrFail(Business, { id: call.businessId });
    const textBack = business.inboxSettings().missed_call_text_back;
    if (!textBack) return { skipped: 'off' };
    if (await calledSince(tx, call)) return { skipped: 'called_since' };

    const client = await tx.findOneOrFail(Client, { id: call.clientId! });
    const { byClient } = await openConversations(tx, call.businessId, [client]);
    const { messages } = await insertOutboundMessages(
      tx,
      {
        businessId: call.businessId,
        channel: 'sms',
        requestId: `missed-call-${callSid}`,
        requestHash: 'missed-call-text-back',
        fromAddress: call.toAddress!,
        body: textBack.body,
        mediaUrls: [],
      },
      [{ client, conversation: byClient.get(client.id)!, to: client.phone ?? call.fromAddress!, optedOut: client.isOptedOut('sms') }],
    );
    const [textBackMessage] = messages;
    call.call = { ...call.call, text_back_message_id: textBackMessage.id };
    await tx.flush();
    return { queued: { messageId: textBackMessage.id, status: textBackMessage.status } };
  });
}
