import { z } from 'zod';
import { fromTwilioMessageStatus } from '../../db/twilio-status';
import type { AppDeps } from '../deps';
import { route } from '../route';
import { UNSTORABLE } from '../middleware/body';
import { startProcessMessage } from '../process-workflows';
import { phoneNumber } from '../schemas/common';
import { formFields, readTwilioWebhook, twilioWebhookRefusals } from '../twilio-webhook';

const incomingSms = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message sid'),
  From: phoneNumber,
  To: phoneNumber,
  Body: z.string().max(1600).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates').default(''),
  NumMedia: z.string().regex(/^\d{1,2}$/).transform(Number).pipe(z.number().max(10)).default(0),
  AccountSid: z.string().max(64).optional(),
});

const isMediaUrl = (url: unknown): url is string => typeof url === 'string' && url.length <= 2048 && /^https?:\/\//.test(url);

/** Twilio reads the answer to an incoming message as TwiML; replies go out through the API instead, tracked like any send. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const smsStatusCallback = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message sid'),
  MessageStatus: z.string().min(1).max(32),
  AccountSid: z.string().max(64).optional(),
  ErrorCode: z.string().max(16).optional(),
  ErrorMessage: z.string().max(1024).optional(),
});

export function twilioRoutes({ temporal, config, deliveryOutbox }: AppDeps) {
  return [
    route({
      method: 'post', path: '/twilio/sms/status', tag: 'twilio', summary: 'Process SMS delivery status updates from Twilio', access: 'provider',
      description:
        'Twilio status callback (form-encoded, `X-Twilio-Signature` checked against PUBLIC_BASE_URL). Every callback is kept ' +
        'as an event and answered 204 once kept; it is applied right after: the message status only ever moves forward. ' +
        'A final status then signals the running `sendMessage` workflow with the message as it now is, and that workflow ends.',
      body: formFields,
      bodyKind: 'form',
      responses: {
        204: { description: 'Recorded' },
        ...twilioWebhookRefusals('a status callback'),
      },
      handler: async (ctx, { body }) => {
        const callback = readTwilioWebhook(ctx, config, body, smsStatusCallback);

        if (!deliveryOutbox) throw new Error('this API was built without a delivery outbox');
        await deliveryOutbox.keep({
          provider: 'twilio',
          channel: 'sms',
          providerMessageId: callback.MessageSid,
          providerEventId: ctx.get('I-Twilio-Idempotency-Token') || undefined,
          rawStatus: callback.MessageStatus,
          status: fromTwilioMessageStatus(callback.MessageStatus),
          errorCode: callback.ErrorCode || null,
          errorMessage: callback.ErrorMessage || null,
          occurredAt: new Date(),
          payload: body,
        });
        ctx.status = 204;
      },
    }),
    route({
      method: 'post', path: '/twilio/sms/incoming', tag: 'twilio', summary: 'Process incoming SMS replies via Twilio webhook', access: 'provider',
      description:
        'Twilio\'s incoming-message webhook (form-encoded, `X-Twilio-Signature` checked against PUBLIC_BASE_URL). Starts ' +
        'workflow `processMessage` with id `inbound-<MessageSid>` (a replay of the same message is a no-op) and answers an ' +
        'empty TwiML response at once. The workflow finds or creates the client and conversation, keeps the message and its ' +
        'media URLs, re-opens the conversation, and honours STOP, START and HELP (answered by SMS).',
      body: formFields,
      bodyKind: 'form',
      responses: {
        200: { description: 'Accepted; empty TwiML', contentType: 'text/xml' },
        ...twilioWebhookRefusals('an incoming message'),
      },
      handler: async (ctx, { body }) => {
        const sms = readTwilioWebhook(ctx, config, body, incomingSms);
        const mediaUrls = Array.from({ length: sms.NumMedia }, (_, i) => body[`MediaUrl${i}`]).filter(isMediaUrl);
        await startProcessMessage(temporal, config.temporal.taskQueue, {
          channel: 'sms',
          direction: 'inbound',
          providerMessageId: sms.MessageSid,
          from: sms.From,
          to: sms.To,
          body: sms.Body,
          mediaUrls,
          at: new Date().toISOString(),
        });
        ctx.type = 'text/xml';
        ctx.body = EMPTY_TWIML;
      },
    }),
  ];
}
