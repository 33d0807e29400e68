import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Location } from '../../db/entities';
import { sendingNumber } from '../../db/sends';
import type { AppDeps } from '../deps';
import { UNSTORABLE } from '../middleware/body';
import { Conflict, ValidationFailed } from '../errors';
import { route } from '../route';
import { acceptRecord, recordFields } from '../record-requests';
import { acceptSend, sendResponses } from '../send-requests';
import { statusUpdateRoute } from '../status-updates';
import { bodyId, errorResponses, httpErrorSchema, phoneNumber, requestId, timestamp } from '../schemas/common';
import { messageSchema } from '../schemas/message';

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
    ...recordFields,
    to: phoneNumber.optional().meta({ description: 'The client\'s number (created as a client if new); or give client_id' }),
    body: z.string().min(1).max(1600).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates'),
    from: phoneNumber.optional().meta({ description: 'The business\'s number it went through; default the location\'s' }),
    media_urls: z.array(z.url({ protocol: /^https?$/ }).max(2048)).max(10).default([]),
  })
  .strict()
  .refine((b) => (b.client_id === undefined) !== (b.to === undefined), { message: 'give exactly one of client_id or to', path: ['to'] })
  .meta({ id: 'SmsRecordRequest' });

export function smsRoutes({ orm, temporal, config }: AppDeps) {
  return [
    route({
      method: 'post', path: '/sms/send', tag: 'sms', summary: 'Queue SMS for sending and database recording', access: 'authenticated',
      description:
        'Stores one message per recipient and starts its `sendMessage` workflow. Repeating a request with the same ' +
        '`request_id` returns the original messages with 200 and sends nothing again; the same `request_id` with a ' +
        'different body is a 409. Opted-out recipients are stored as CANCELED with error_code OPTED_OUT.',
      body: smsSendBody,
      responses: sendResponses('the business cannot send'),
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
      handler: (ctx, { body, principal }) =>
        acceptRecord({ orm, temporal, config }, ctx, principal!, body, {
          channel: 'sms',
          ourAddress: (em, business) => resolveSender(em, business.id, body.from, body.location_id),
          content: { body: body.body, mediaUrls: body.media_urls },
        }),
    }),
    statusUpdateRoute({ orm, temporal }, 'sms'),
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
