import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { BodyTooLargeError } from './body';
import { controlRoutes } from './control';
import { DEFAULT_CALLBACK_DELAY_MS, DEFAULT_SANDBOX_HOST, SANDBOX_DEFAULTS } from './defaults';
import { Scheduler } from './scheduler';
import type { SendGridCredentials } from './sendgrid/auth';
import { sgErrors } from './sendgrid/errors';
import { EventSigner, type DeliveredEventBatch, type SendGridEvent } from './sendgrid/event-webhook';
import { SendGridMail, mailSnapshot, type SandboxMail } from './sendgrid/mail';
import { sendgridRoutes } from './sendgrid/routes';
import { EventWebhookSettingsResource } from './sendgrid/webhook-settings';
import { senderSnapshot, type SandboxVerifiedSender } from './sendgrid/sender';
import { SendGridSenders } from './sendgrid/senders';
import { SandboxState, type SandboxLog } from './state';
import type { TwilioCredentials } from './twilio/auth';
import { callSnapshot, type SandboxCall } from './twilio/call';
import type { DeliveredCallback } from './twilio/callbacks';
import { TwilioCalls, type ClientCall, type PlaceCall } from './twilio/calls';
import { errors, twilioError } from './twilio/errors';
import { deliverInboundSms, type InboundDelivery, type InboundSms } from './twilio/inbound';
import { snapshot, type SandboxMessage } from './twilio/message';
import { TwilioMessages } from './twilio/messages';
import { phoneNumberSnapshot, type SandboxPhoneNumber } from './twilio/phone-number';
import { TwilioPhoneNumbers } from './twilio/phone-numbers';
import { twilioRoutes } from './twilio/routes';

export type { SendGridCredentials } from './sendgrid/auth';
export type { DeliveredEventBatch, SendGridEvent } from './sendgrid/event-webhook';
export type { SandboxMail, SandboxMailRecipient } from './sendgrid/mail';
export type { SandboxVerifiedSender, VerificationStatus } from './sendgrid/sender';
export type { TwilioCredentials } from './twilio/auth';
export type { CallDirection, CallLeg, CallRecording, CallScript, CallStatus, CallWebhook, SandboxCall } from './twilio/call';
export type { DeliveredCallback } from './twilio/callbacks';
export type { ClientCall, PlaceCall } from './twilio/calls';
export type { InboundDelivery, InboundSms } from './twilio/inbound';
export type { SandboxMessage, StatusChange } from './twilio/message';
export type { Capabilities } from './twilio/numbering';
export type { SandboxPhoneNumber } from './twilio/phone-number';

export interface SandboxOptions {
  twilio: TwilioCredentials;
  /** Bearer API key the SendGrid v3 emulation accepts; default SANDBOX_DEFAULTS.sendgridApiKey. */
  sendgrid?: SendGridCredentials;
  /**
   * Where SendGrid events go at start, as if set with PATCH /v3/user/webhooks/event/settings
   * (url, enabled: true). Without it no events are posted until a client sets one.
   */
  sendgridEventWebhookUrl?: string;
  /**
   * Delay before each successive message status change / callback, before each request of a
   * voice call, and before a new SendGrid sender verifies; default 150 ms.
   */
  callbackDelayMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

export interface Sandbox {
  /** Starts serving; resolves the base URL, e.g. http://127.0.0.1:8025. Port 0 picks a free port. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops the server and cancels every pending status change and callback. */
  close(): Promise<void>;
  readonly url: string;
  /** Every message created, in creation order (copies). */
  messages(): SandboxMessage[];
  /** Every status callback attempted, in order (copies). */
  callbacks(): DeliveredCallback[];
  /** Every number purchased, in purchase order, released ones included (`released: true`) (copies). */
  phoneNumbers(): SandboxPhoneNumber[];
  /** Every SendGrid sender created, in creation order, deleted ones included (`deleted: true`) (copies). */
  verifiedSenders(): SandboxVerifiedSender[];
  /** Every mail accepted by /v3/mail/send, in order, with the events generated for it (copies). */
  mails(): SandboxMail[];
  /** Every Event Webhook POST attempted, in order (copies). */
  eventBatches(): DeliveredEventBatch[];
  /** The Event Webhook verification key, base64 SPKI DER as SendGrid shows it. */
  readonly sendgridEventWebhookPublicKey: string;
  /** Posts these events as one signed batch to the configured Event Webhook (a test's replay, an unsubscribe). */
  postSendGridEvents(events: SendGridEvent[]): Promise<DeliveredEventBatch | undefined>;
  /** Forgets all messages, callbacks, numbers, senders and calls and cancels everything pending (running calls end `canceled`). */
  reset(): void;
  /** A client's phone texts one of the numbers: posts Twilio's signed incoming-message webhook and returns the answer. */
  inboundSms(sms: InboundSms): Promise<InboundDelivery>;
  /** Every call, in creation order (copies): REST-created, placed to a number, or from a browser client. */
  calls(): SandboxCall[];
  /** A phone calls one of the numbers bought here: runs the call to its end (every webhook answered) and resolves then. */
  placeCall(call: PlaceCall): Promise<SandboxCall>;
  /** A staff member's browser (Voice SDK identity) calls out through the TwiML app: runs the call to its end. */
  clientCall(call: ClientCall): Promise<SandboxCall>;
}

function errorBoundary(log: SandboxLog): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const sendgrid = ctx.path.startsWith('/v3/');
      if (error instanceof BodyTooLargeError) {
        ctx.status = 413;
        ctx.body = sendgrid ? sgErrors.tooLarge() : twilioError(413, 20001, 'Request entity too large');
        return;
      }
      log({ event: 'error', method: ctx.method, path: ctx.path, error: String(error) });
      ctx.status = 500;
      ctx.body = sendgrid ? sgErrors.internal() : errors.internal();
    }
  };
}

function requestLog(log: SandboxLog): Koa.Middleware {
  return async (ctx, next) => {
    const started = Date.now();
    await next();
    log({ event: 'request', method: ctx.method, path: ctx.path, status: ctx.status, ms: Date.now() - started });
  };
}

function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const log: SandboxLog = options.log ?? (() => undefined);
  const state = new SandboxState();
  const scheduler = new Scheduler((error) => log({ event: 'task.error', error: String(error) }));
  const callbackDelayMs = options.callbackDelayMs ?? DEFAULT_CALLBACK_DELAY_MS;
  const sendgridCreds: SendGridCredentials = options.sendgrid ?? { apiKey: SANDBOX_DEFAULTS.sendgridApiKey };
  const messages = new TwilioMessages({ creds: options.twilio, state, scheduler, callbackDelayMs, log });
  const phoneNumbers = new TwilioPhoneNumbers({ state, log });
  const senders = new SendGridSenders({ state, scheduler, verifyDelayMs: callbackDelayMs, log });
  const signer = new EventSigner(sendgridCreds.eventWebhookPrivateKey ?? SANDBOX_DEFAULTS.sendgridEventWebhookPrivateKey);
  const webhookUrl = options.sendgridEventWebhookUrl;
  state.eventWebhook.url = webhookUrl ?? null;
  state.eventWebhook.enabled = webhookUrl !== undefined;
  const mail = new SendGridMail({ state, scheduler, signer, callbackDelayMs, log });
  const eventWebhook = new EventWebhookSettingsResource(state, signer);
  let baseUrl: string | undefined;
  const calls = new TwilioCalls({
    creds: options.twilio,
    state,
    scheduler,
    callbackDelayMs,
    baseUrl: () => {
      if (!baseUrl) throw new Error('sandbox is not listening');
      return baseUrl;
    },
    log,
  });
  const resetAll = (): void => {
    scheduler.cancel();
    state.clear();
  };

  const app = new Koa();
  app.silent = true;
  app.use(errorBoundary(log));
  app.use(requestLog(log));
  const inboundSms = (sms: InboundSms) => deliverInboundSms(options.twilio, state, sms);
  const voice = { placeCall: (call: PlaceCall) => calls.placeCall(call), clientCall: (call: ClientCall) => calls.clientCall(call) };
  app.use(controlRoutes(state, resetAll, inboundSms, voice));
  app.use(twilioRoutes(options.twilio, { messages, phoneNumbers, calls }));
  app.use(sendgridRoutes(sendgridCreds, { senders, mail, eventWebhook }));
  app.use(async (ctx) => {
    ctx.status = 404;
    ctx.body = errors.notFound(ctx.path);
  });

  let server: Server | undefined;

  return {
    listen(port, host = DEFAULT_SANDBOX_HOST) {
      if (server) return Promise.reject(new Error('sandbox is already listening'));
      const created = createServer(app.callback());
      server = created;
      return new Promise<string>((resolve, reject) => {
        created.once('error', (error) => {
          server = undefined;
          reject(error);
        });
        created.listen(port, host, () => {
          const { port: actual } = created.address() as AddressInfo;
          baseUrl = `http://${publicHost(host)}:${actual}`;
          log({ event: 'listening', url: baseUrl });
          resolve(baseUrl);
        });
      });
    },

    async close() {
      scheduler.cancel();
      await scheduler.drain();
      const closing = server;
      server = undefined;
      baseUrl = undefined;
      if (!closing?.listening) return;
      await new Promise<void>((resolve, reject) => {
        closing.close((error) => (error ? reject(error) : resolve()));
        closing.closeAllConnections();
      });
    },

    get url() {
      if (!baseUrl) throw new Error('sandbox is not listening');
      return baseUrl;
    },

    messages: () => state.messages.map(snapshot),
    callbacks: () => state.callbacks.map((c) => structuredClone(c)),
    phoneNumbers: () => state.phoneNumbers.map(phoneNumberSnapshot),
    verifiedSenders: () => state.verifiedSenders.map(senderSnapshot),
    mails: () => state.mails.map(mailSnapshot),
    eventBatches: () => state.eventBatches.map((b) => structuredClone(b)),
    sendgridEventWebhookPublicKey: signer.publicKey,
    async postSendGridEvents(events) {
      const before = state.eventBatches.length;
      await mail.postEvents(events, new AbortController().signal);
      return state.eventBatches.slice(before).pop();
    },
    reset: resetAll,
    inboundSms,
    calls: () => state.calls.map(callSnapshot),
    placeCall: voice.placeCall,
    clientCall: voice.clientCall,
  };
}
