import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordConsent } from '../../db/consent';
import { Business } from '../../db/entities';
import { isFinal } from '../../db/message-status';
import { MESSAGE_ID_ARG, meaningOf, providerIdOf, recordSendGridEvents, type SendGridEventRow, type StoredSendGridEvent } from '../../db/sendgrid-events';
import { pgArray } from '../../db/sql';
import { passOnDeliveryNews, type MessageNews } from '../delivery-reports';
import type { AppDeps } from '../deps';
import { Conflict, ValidationFailed } from '../errors';
import { UNSTORABLE } from '../middleware/body';
import { route } from '../route';
import { bodyId, errorResponses, httpErrorSchema, requestId, timestamp, validationErrorSchema } from '../schemas/common';
import { sendgridSignatureVerifier } from '../sendgrid-signature';
import { acceptRecord, recordFields } from '../record-requests';
import { acceptSend, sendResponses } from '../send-requests';
import { messageSchema } from '../schemas/message';
import { statusUpdateRoute } from '../status-updates';

const MAX_RECIPIENTS = 1000;
/** SendGrid posts a batch every 30 s or at 768 KB, whichever comes first; a batch may pass that mark a little. */
const WEBHOOK_BODY_LIMIT = 2 * 1024 * 1024;
const MAX_ERROR_MESSAGE = 1024;

const emailAddress = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
const storable = (max: number) => z.string().max(max).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates');

const recipientSchema = z
  .object({ client_id: bodyId.optional(), to: emailAddress.optional() })
  .refine((r) => (r.client_id === undefined) !== (r.to === undefined), { message: 'give exactly one of client_id or to' });

export const emailSendBody = z
  .object({
    business_id: bodyId,
    client_id: bodyId.optional(),
    to: emailAddress.optional(),
    recipients: z.array(recipientSchema).min(1).max(MAX_RECIPIENTS).optional(),
    subject: storable(998).pipe(z.string().trim().min(1)),
    text: storable(200_000).pipe(z.string().min(1)).optional(),
    html: storable(200_000).pipe(z.string().min(1)).optional(),
    from: emailAddress.optional(),
    reply_to: emailAddress.optional(),
    location_id: bodyId.optional(),
    staff_id: bodyId.optional(),
    request_id: requestId.optional(),
    send_at: timestamp.optional(),
  })
  .superRefine((b, ctx) => {
    const given = [b.client_id, b.to, b.recipients].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give exactly one of client_id, to or recipients' });
    if (b.text === undefined && b.html === undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give text, html or both' });
  })
  .meta({ id: 'EmailSendRequest' });

export const emailRecordBody = z
  .object({
    ...recordFields,
    to: emailAddress.optional().meta({ description: 'The client\'s address (created as a client if new); or give client_id' }),
    subject: storable(998).optional(),
    text: storable(200_000).optional(),
    html: storable(200_000).optional(),
    from: emailAddress.optional().meta({ description: 'The business\'s address it went through; default its verified sender' }),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.client_id === undefined) === (b.to === undefined)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give exactly one of client_id or to' });
    if (b.subject === undefined && b.text === undefined && b.html === undefined) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give a subject, text or html' });
  })
  .meta({ id: 'EmailRecordRequest' });

/** The fields of a SendGrid event we read; the rest is kept as it came. */
const sendgridEvent = z.looseObject({
  event: z.string().min(1).max(64),
  sg_event_id: z.string().min(1).max(128),
  email: z.string().max(320).optional(),
  timestamp: z.number().int().min(0).max(253_402_300_799).optional(),
  sg_message_id: z.string().min(1).max(512).optional(),
  reason: z.string().optional(),
  status: z.string().max(64).optional(),
  [MESSAGE_ID_ARG]: z.string().regex(/^[1-9]\d{0,17}$/).optional(),
});

const webhookBody = z
  .array(z.looseObject({}))
  .meta({ id: 'SendGridEventBatch', description: 'SendGrid Event Webhook batch: event objects with `event`, `sg_event_id`, `sg_message_id`, `email`, `timestamp`, custom args' });

export function emailRoutes({ orm, temporal, config }: AppDeps) {
  return [
    route({
      method: 'post', path: '/email/send', tag: 'email', summary: 'Queue email for sending and database recording', access: 'authenticated',
      description:
        'Stores one message per recipient and starts its `sendMessage` workflow, which sends it through SendGrid from the ' +
        'business\'s verified sender (`from`, when given, must be that address). Repeating a request with the same `request_id` ' +
        'returns the original messages with 200 and sends nothing again; the same `request_id` with a different body is a 409. ' +
        'Recipients who opted out of email are stored as CANCELED with error_code OPTED_OUT.',
      body: emailSendBody,
      responses: sendResponses('the business has no email sender'),
      handler: (ctx, { body, principal }) =>
        acceptSend({ orm, temporal, config }, ctx, principal!, body, {
          channel: 'email',
          senderOf: async (_em, business) => senderOf(business, body.from),
          content: { body: body.text, subject: body.subject, html: body.html, replyTo: body.reply_to, mediaUrls: [], sendAt: body.send_at },
        }),
    }),
    route({
      method: 'post', path: '/email/record', tag: 'email', summary: 'Record email message in database without sending', access: 'authenticated',
      description:
        'Keeps an email sent or received elsewhere in the client\'s conversation, without sending anything. The client is ' +
        '`client_id` or `to` whatever the direction; `from` is the business\'s address (default its verified sender). ' +
        'Repeating a `provider_message_id` or a `request_id` returns the first record with 200 (a `request_id` with a ' +
        'different body is a 409). An inbound record counts as unread and re-opens the conversation.',
      body: emailRecordBody,
      responses: {
        201: { description: 'Recorded', schema: messageSchema },
        200: { description: 'Recorded before', schema: messageSchema },
        409: { description: 'request_id reused with a different body, or provider_message_id of another business\'s message', schema: httpErrorSchema },
        ...errorResponses,
      },
      handler: (ctx, { body, principal }) =>
        acceptRecord({ orm, temporal, config }, ctx, principal!, body, {
          channel: 'email',
          ourAddress: async (_em, business) => {
            const ours = body.from ?? business.emailFromAddress?.toLowerCase();
            if (!ours) throw new ValidationFailed([{ loc: ['body', 'from'], msg: 'the business has no email sender: give from', type: 'missing' }]);
            return ours;
          },
          content: { subject: body.subject, body: body.text, html: body.html, mediaUrls: [] },
        }),
    }),
    statusUpdateRoute({ orm, temporal }, 'email'),
    route({
      method: 'post', path: '/email/webhook', tag: 'email', summary: 'SendGrid Event Webhook', access: 'provider',
      description:
        'SendGrid\'s signed Event Webhook (a JSON array of events). The ECDSA signature (`X-Twilio-Email-Event-Webhook-Signature` ' +
        'over `X-Twilio-Email-Event-Webhook-Timestamp` and the raw body) is checked with SENDGRID_WEBHOOK_PUBLIC_KEY before ' +
        'anything is read: 403 and nothing kept otherwise. Every event is kept once (by `sg_event_id`) and matched to its email ' +
        'by the `omega_message_id` custom arg, else by the X-Message-Id its `sg_message_id` starts with. processed/deferred → ' +
        'QUEUED, delivered → DELIVERED, open → READ, bounce/dropped → FAILED (reason and status kept), spamreport and ' +
        '(group_)unsubscribe → the client opts out of email; statuses only move forward. News that can end a send wakes its ' +
        'workflow; the rest is applied at once.',
      body: webhookBody,
      bodyLimitBytes: WEBHOOK_BODY_LIMIT,
      verifyRawBody: sendgridSignatureVerifier(config.sendgrid.webhookPublicKey),
      responses: {
        200: {
          description: 'Kept',
          schema: z.object({ received: z.number().int(), stored: z.number().int(), duplicates: z.number().int(), ignored: z.number().int() }),
        },
        403: { description: 'Bad or missing signature', schema: httpErrorSchema },
        413: { description: 'Batch too large', schema: httpErrorSchema },
        422: { description: 'Not a JSON array of events', schema: validationErrorSchema },
      },
      handler: async (ctx, { body }) => {
        const rows = body.flatMap((raw) => {
          const parsed = sendgridEvent.safeParse(raw);
          return parsed.success ? [eventRow(parsed.data, raw)] : [];
        });
        const em = orm.em.fork() as EntityManager;
        const stored = await recordSendGridEvents(em, rows);
        await withdrawConsent(em, stored, rows);
        await passOnDeliveryNews(em, temporal, newsOf(stored));
        ctx.body = { received: body.length, stored: stored.length, duplicates: rows.length - stored.length, ignored: body.length - rows.length };
      },
    }),
  ];
}

/** The business's verified sender; a `from` must be that address. */
function senderOf(business: Business, from: string | undefined): string {
  const own = business.emailFromAddress;
  if (!own) throw new Conflict('this business has no verified email sender to send from');
  if (from !== undefined && from !== own.toLowerCase()) {
    throw new ValidationFailed([{ loc: ['body', 'from'], msg: 'not this business\'s verified email sender', type: 'value_error' }]);
  }
  return own;
}

function eventRow(event: z.output<typeof sendgridEvent>, raw: Record<string, unknown>): SendGridEventRow {
  const { status } = meaningOf(event.event);
  const failed = status === 'FAILED';
  return {
    providerEventId: event.sg_event_id,
    messageId: event[MESSAGE_ID_ARG] ? Number(event[MESSAGE_ID_ARG]) : null,
    providerMessageId: providerIdOf(event.sg_message_id),
    rawStatus: event.event,
    status,
    errorCode: failed ? (event.status ?? event.event) : null,
    errorMessage: failed ? (event.reason?.slice(0, MAX_ERROR_MESSAGE) ?? null) : null,
    occurredAt: event.timestamp !== undefined ? new Date(event.timestamp * 1000) : null,
    payload: raw,
  };
}

/** Spam reports and unsubscribes, each new one once, opt the address out of the business's email. */
async function withdrawConsent(em: EntityManager, stored: StoredSendGridEvent[], rows: SendGridEventRow[]): Promise<void> {
  const withdrawals = stored.filter((e) => e.messageId !== null && meaningOf(e.rawStatus).consent);
  if (withdrawals.length === 0) return;
  const businessOf = new Map(
    (await em.execute('select id, business_id from messages where id = any(?::bigint[])', [pgArray(withdrawals.map((e) => e.messageId!))])).map(
      (row: Record<string, unknown>) => [Number(row.id), Number(row.business_id)],
    ),
  );
  const rowOf = new Map(rows.map((r) => [r.providerEventId, r]));
  for (const event of withdrawals) {
    const address = (rowOf.get(event.providerEventId)?.payload.email as string | undefined)?.trim().toLowerCase();
    const businessId = businessOf.get(event.messageId!);
    if (!address || businessId === undefined) continue;
    await recordConsent(em, {
      businessId,
      channel: 'email',
      address,
      action: 'opt_out',
      source: meaningOf(event.rawStatus).consent!,
      messageId: event.messageId,
    });
  }
}

/** Per message: that it heard something, and the last of it that can end its send. */
function newsOf(stored: StoredSendGridEvent[]): MessageNews[] {
  const news = new Map<number, MessageNews>();
  for (const event of stored) {
    if (event.messageId === null) continue;
    const item = news.get(event.messageId) ?? { messageId: event.messageId };
    if (event.status && isFinal(event.status)) item.final = { eventId: event.id, status: event.status };
    news.set(event.messageId, item);
  }
  return [...news.values()];
}
