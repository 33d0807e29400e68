import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Business, Client, Location, Message } from '../../db/entities';
import { storeProcessedMessage } from '../../db/inbound';
import { findRequestMessages, sendingNumber } from '../../db/sends';
import { assertBusinessAccess, canSee } from '../auth';
import { fingerprint } from '../canonical';
import { takeDeliveryReport } from '../delivery-reports';
import type { AppDeps } from '../deps';
import { UNSTORABLE } from '../middleware/body';
import { Conflict, NotFound, ValidationFailed } from '../errors';
import { route } from '../route';
import { notifyConversation } from '../conversation-workflows';
import { acceptSend, checkStaffAndLocation, sendResponse } from '../send-requests';
import { bodyId, errorResponses, httpErrorSchema, phoneNumber, requestId, timestamp } from '../schemas/common';
import { messageJson, messageSchema } from '../schemas/message';

const MAX_RECIPIENTS = 1000;

const recipientSchema = z
  .object({ client_id: bodyId.optional(), to: phoneNumber.optional() })
  .refine((r) => (r.client_id === undefined) !== (r.to === undefined), { message: 'give exactly one of client_id or to' });

export const smsSendBody = z
  .object({
    business_id: bodyId,
    client_id: bodyId.optional(),
    to: phoneNumber.optional(),
    recipients: z.array(recipientSchema).min(1).max(MAX_RECIPIENTS).optional(),
    body: z.string().min(1).max(1600),
    location_id: bodyId.optional(),
    staff_id: bodyId.optional(),
    from: phoneNumber.optional(),
    request_id: requestId.optional(),
    send_at: timestamp.optional(),
    media_urls: z.array(z.url({ protocol: /^https?$/ }).max(2048)).max(10).optional(),
    transactional: z.boolean().optional().meta({ description: 'Sent even in the business\'s quiet hours (reminders, confirmations); default false' }),
  })
  .superRefine((b, ctx) => {
    const given = [b.client_id, b.to, b.recipients].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give exactly one of client_id, to or recipients' });
  })
  .meta({ id: 'SmsSendRequest' });

export const smsRecordBody = z
  .object({
    business_id: bodyId,
    client_id: bodyId.optional(),
    to: phoneNumber.optional().meta({ description: 'The client\'s number (created as a client if new); or give client_id' }),
    direction: z.enum(['outbound', 'inbound']).default('outbound'),
    body: z.string().min(1).max(1600).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates'),
    status: z
      .string()
      .max(20)
      .transform((v) => v.trim().toUpperCase())
      .pipe(z.enum(['RECORDED', 'RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'UNDELIVERED', 'FAILED']))
      .optional()
      .meta({ description: 'Default RECORDED (outbound) or RECEIVED (inbound)' }),
    from: phoneNumber.optional().meta({ description: 'The business\'s number it went through; default the location\'s' }),
    location_id: bodyId.optional(),
    staff_id: bodyId.optional(),
    provider_message_id: z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
    request_id: requestId.optional(),
    sent_at: timestamp.optional(),
    media_urls: z.array(z.url({ protocol: /^https?$/ }).max(2048)).max(10).default([]),
  })
  .strict()
  .refine((b) => (b.client_id === undefined) !== (b.to === undefined), { message: 'give exactly one of client_id or to', path: ['to'] })
  .meta({ id: 'SmsRecordRequest' });

/** The statuses delivery news can bring, in any case. */
const deliveryStatus = z
  .string()
  .max(20)
  .transform((v) => v.trim().toUpperCase())
  .pipe(z.enum(['QUEUED', 'SENT', 'DELIVERED', 'READ', 'UNDELIVERED', 'FAILED']));

const smsStatusBody = z
  .object({
    message_id: bodyId.optional(),
    provider_message_id: z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
    status: deliveryStatus,
    error_code: z.string().max(16).optional(),
    error_message: z.string().max(1024).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates').optional(),
    occurred_at: timestamp.optional(),
  })
  .strict()
  .refine((b) => b.message_id !== undefined || b.provider_message_id !== undefined, {
    message: 'give message_id or provider_message_id (both must then name the same message)',
    path: ['message_id'],
  });


export function smsRoutes({ orm, temporal, config }: AppDeps) {
  return [
    route({
      method: 'post', path: '/sms/send', tag: 'sms', summary: 'Queue SMS for sending and database recording', access: 'authenticated',
      description:
        'Stores one message per recipient and starts its `sendMessage` workflow. Repeating a request with the same ' +
        '`request_id` returns the original messages with 200 and sends nothing again; the same `request_id` with a ' +
        'different body is a 409. Opted-out recipients are stored as CANCELED with error_code OPTED_OUT.',
      body: smsSendBody,
      responses: {
        202: { description: 'Queued', schema: sendResponse },
        200: { description: 'A repeat of an earlier request: its messages, nothing sent again', schema: sendResponse },
        409: { description: 'request_id reused with a different body, or the business cannot send', schema: errorResponses[403].schema },
        ...errorResponses,
      },
      handler: (ctx, { body, principal }) =>
        acceptSend({ orm, temporal, config }, ctx, principal!, body, {
          channel: 'sms',
          senderOf: (em, business) => resolveSender(em, business.id, body.from, body.location_id),
          content: {
            body: body.body,
            mediaUrls: body.media_urls ?? [],
            sendAt: body.send_at,
            category: body.transactional ? 'transactional' : 'standard',
          },
        }),
    }),
    route({
      method: 'post', path: '/sms/record', tag: 'sms', summary: 'Record SMS message in database without sending', access: 'authenticated',
      description:
        'Keeps an SMS sent or received elsewhere in the client\'s conversation, without sending anything. The client is ' +
        '`client_id` or `to` whatever the direction; `from` is the business\'s number. Repeating a `provider_message_id` or ' +
        'a `request_id` returns the first record with 200 (a `request_id` with a different body is a 409). An inbound ' +
        'record counts as unread, re-opens the conversation and honours STOP and START (no reply is sent).',
      body: smsRecordBody,
      responses: {
        201: { description: 'Recorded', schema: messageSchema },
        200: { description: 'Recorded before', schema: messageSchema },
        409: { description: 'request_id reused with a different body, or provider_message_id of another business\'s message', schema: httpErrorSchema },
        ...errorResponses,
      },
      handler: async (ctx, { body, principal }) => {
        assertBusinessAccess(principal!, body.business_id);
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
        if (!(await em.findOne(Business, { id: body.business_id }))) throw new NotFound(`business ${body.business_id} not found`);
        await checkStaffAndLocation(em, body.business_id, body.staff_id, body.location_id);
        const ours = await resolveSender(em, body.business_id, body.from, body.location_id);
        const client = body.client_id !== undefined ? await em.findOne(Client, { id: body.client_id, businessId: body.business_id }) : null;
        if (body.client_id !== undefined && !client) throw new NotFound(`client ${body.client_id} not found`);
        if (client && !client.phone) throw new ValidationFailed([{ loc: ['body', 'client_id'], msg: 'the client has no phone number', type: 'value_error' }]);
        const theirs = client?.phone ?? body.to!;
        const at = new Date();
        const stored = await storeProcessedMessage(em, {
          channel: 'sms',
          direction: body.direction,
          providerMessageId: body.provider_message_id ?? `omega-${randomUUID()}`,
          from: body.direction === 'outbound' ? ours : theirs,
          to: body.direction === 'outbound' ? theirs : ours,
          body: body.body,
          mediaUrls: body.media_urls,
          at: at.toISOString(),
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
        if (stored.created) {
          await notifyConversation(temporal, config.temporal.taskQueue, stored, { messageId: stored.messageId, direction: body.direction, at: at.toISOString() });
        }
        ctx.status = stored.created ? 201 : 200;
        ctx.body = messageJson(await em.findOneOrFail(Message, { id: stored.messageId }));
      },
    }),
    route({
      method: 'post', path: '/sms/status', tag: 'sms', summary: 'Update SMS delivery status', access: 'authenticated',
      description:
        'Delivery news for an SMS from a source other than the Twilio webhook, by `message_id` or `provider_message_id` ' +
        '(or both, naming the same message). ' +
        'Kept as an event like a callback; the status only moves forward (a late SENT after DELIVERED changes nothing). ' +
        'A final status wakes the running send workflow, which applies it; any other, or one for a send whose workflow ' +
        'has ended, is applied at once. 202 with the status the message has now.',
      body: smsStatusBody,
      responses: {
        202: {
          description: 'Recorded',
          schema: z.object({ message_id: z.number().int(), event_id: z.number().int().nullable(), status: z.string() }),
        },
        ...errorResponses,
      },
      handler: async (ctx, { body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        const message = await em.findOne(Message, {
          channel: 'sms',
          ...(body.message_id !== undefined && { id: body.message_id }),
          ...(body.provider_message_id !== undefined && { providerMessageId: body.provider_message_id }),
        });
        if (!message || !canSee(principal!, message.businessId)) throw new NotFound('no SMS with that message_id / provider_message_id');
        const { event } = await takeDeliveryReport(em, temporal, {
          provider: 'api',
          channel: 'sms',
          messageId: message.id,
          providerMessageId: message.providerMessageId ?? undefined,
          rawStatus: body.status,
          status: body.status,
          errorCode: body.error_code ?? null,
          errorMessage: body.error_message ?? null,
          occurredAt: body.occurred_at ?? new Date(),
          payload: body as unknown as Record<string, unknown>,
        });
        await em.refresh(message);
        ctx.status = 202;
        ctx.body = { message_id: message.id, event_id: event?.id ?? null, status: message.status };
      },
    }),
  ];
}

/** The business's own number to send from: the one asked for (it must be theirs), or the location's. */
async function resolveSender(em: EntityManager, businessId: number, from: string | undefined, locationId?: number): Promise<string> {
  if (from !== undefined) {
    const owned = await em.findOne(Location, { businessId, phoneNumber: from });
    if (!owned) throw new ValidationFailed([{ loc: ['body', 'from'], msg: 'not one of this business\'s numbers', type: 'value_error' }]);
    return from;
  }
  const location = await sendingNumber(em, businessId, locationId);
  if (!location?.phoneNumber) throw new Conflict('this business has no SMS number to send from');
  return location.phoneNumber;
}
