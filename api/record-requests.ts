import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Message } from '../db/entities';
import { storeProcessedMessage, type ProcessedMessage } from '../db/inbound';
import type { MessageStatus } from '../db/message-status';
import { findRequestMessages } from '../db/sends';
import { assertBusinessAccess, type Principal } from './auth';
import { fingerprint } from './canonical';
import { notifyConversation } from './conversation-workflows';
import type { AppDeps } from './deps';
import { Conflict, NotFound, ValidationFailed } from './errors';
import { checkStaffAndLocation } from './send-requests';
import { bodyId, requestId, statusWordOf, timestamp } from './schemas/common';
import { messageJson } from './schemas/message';

/** The fields every record request body has, whatever its channel (the channel adds its content, `to` and `from`). */
export const recordFields = {
  business_id: bodyId,
  client_id: bodyId.optional(),
  direction: z.enum(['outbound', 'inbound']).default('outbound'),
  status: statusWordOf(['RECORDED', 'RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'UNDELIVERED', 'FAILED'])
    .optional()
    .meta({ description: 'Default RECORDED (outbound) or RECEIVED (inbound)' }),
  location_id: bodyId.optional(),
  staff_id: bodyId.optional(),
  provider_message_id: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  request_id: requestId.optional(),
  sent_at: timestamp.optional(),
};

/** The fields every record request has, whatever its channel. */
export interface RecordRequestBody {
  business_id: number;
  client_id?: number;
  /** The client's address. */
  to?: string;
  direction: 'inbound' | 'outbound';
  status?: MessageStatus;
  staff_id?: number;
  location_id?: number;
  provider_message_id?: string;
  request_id?: string;
  sent_at?: Date;
}

export interface RecordChannel {
  channel: 'sms' | 'email';
  /** The business's side of the message: its number or sender address. */
  ourAddress(em: EntityManager, business: Business): Promise<string>;
  content: Pick<ProcessedMessage, 'body' | 'subject' | 'html' | 'mediaUrls'>;
}

/**
 * Keeps a message sent or received elsewhere in the client's conversation, without sending:
 * once per request id (same body → the first record with 200, another → 409) and per provider
 * id; an inbound one is counted unread and told to the conversation's workflow.
 */
export async function acceptRecord(
  { orm, temporal, config }: Pick<AppDeps, 'orm' | 'temporal' | 'config'>,
  ctx: Context,
  principal: Principal,
  body: RecordRequestBody,
  channel: RecordChannel,
): Promise<void> {
  assertBusinessAccess(principal, body.business_id);
  const em = orm.em.fork() as EntityManager;
  const { request_id: givenRequestId, ...content } = body;
  const requestHash = fingerprint(content);
  if (givenRequestId) {
    const earlier = await findRequestMessages(em, body.business_id, givenRequestId);
    if (earlier.length > 0) {
      if (earlier[0].requestHash !== requestHash) throw new Conflict('request_id was already used with a different request body');
      ctx.body = messageJson(earlier[0]);
      return;
    }
  }
  const business = await em.findOne(Business, { id: body.business_id });
  if (!business) throw new NotFound(`business ${body.business_id} not found`);
  await checkStaffAndLocation(em, body.business_id, body.staff_id, body.location_id);
  const ours = await channel.ourAddress(em, business);
  const client = body.client_id !== undefined ? await em.findOne(Client, { id: body.client_id, businessId: body.business_id }) : null;
  if (body.client_id !== undefined && !client) throw new NotFound(`client ${body.client_id} not found`);
  const clientAddress = client && (channel.channel === 'sms' ? client.phone : client.email?.toLowerCase());
  if (client && !clientAddress) {
    throw new ValidationFailed([{ loc: ['body', 'client_id'], msg: `the client has no ${channel.channel === 'sms' ? 'phone number' : 'email address'}`, type: 'value_error' }]);
  }
  const theirs = clientAddress ?? body.to!;
  const at = new Date().toISOString();
  const stored = await storeProcessedMessage(em, {
    ...channel.content,
    channel: channel.channel,
    direction: body.direction,
    providerMessageId: body.provider_message_id ?? `omega-${randomUUID()}`,
    from: body.direction === 'outbound' ? ours : theirs,
    to: body.direction === 'outbound' ? theirs : ours,
    at,
    businessId: body.business_id,
    staffId: body.staff_id,
    status: body.status,
    sentAt: body.sent_at?.toISOString() ?? null,
    requestId: givenRequestId ?? null,
    requestHash,
  }).catch((error: unknown) => {
    // A concurrent record with the same request id got there first.
    if (error instanceof UniqueConstraintViolationException) throw new Conflict('request_id or provider_message_id was used at the same time');
    throw error;
  });
  if (!stored) throw new Conflict('provider_message_id is already used by another message');
  if (stored.created) await notifyConversation(temporal, config.temporal.taskQueue, stored, { messageId: stored.messageId, direction: body.direction, at });
  ctx.status = stored.created ? 201 : 200;
  ctx.body = messageJson(await em.findOneOrFail(Message, { id: stored.messageId }));
}
