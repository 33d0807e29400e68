import type Koa from 'koa';
import { readJson } from './body';
import type { SandboxState } from './state';
import { CLIENT_CALL_USAGE, clientCallOf, PLACE_CALL_USAGE, placeCallOf } from './twilio/call-requests';
import type { SandboxCall } from './twilio/call';
import type { ClientCall, PlaceCall } from './twilio/calls';
import type { InboundDelivery, InboundSms } from './twilio/inbound';

/** Calls the control routes can make: they run to their end before the route answers. */
export interface VoiceControl {
  placeCall(call: PlaceCall): Promise<SandboxCall>;
  clientCall(call: ClientCall): Promise<SandboxCall>;
}

/** Runs the call a control route asked for and answers with it once it ended; 400 with `usage` when the body is not one. */
async function answerWithCall<T>(ctx: Koa.Context, call: T | undefined, usage: string, run: (call: T) => Promise<SandboxCall>): Promise<void> {
  if (!call) {
    ctx.status = 400;
    ctx.body = { error: usage };
    return;
  }
  try {
    ctx.body = await run(call);
  } catch (error) {
    // The one refusal: a number with no VoiceUrl and no `url` given.
    ctx.status = 404;
    ctx.body = { error: (error as Error).message };
  }
}

/** Unauthenticated helpers for tests and humans under /sandbox/. */
export function controlRoutes(
  state: SandboxState,
  reset: () => void,
  inboundSms: (sms: InboundSms) => Promise<InboundDelivery>,
  voice: VoiceControl,
): Koa.Middleware {
  const startedAt = Date.now();
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/sandbox/')) return next();
    const route = `${ctx.method} ${ctx.path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /sandbox/health':
        ctx.body = {
          ok: true,
          messages: state.messages.length,
          phoneNumbers: state.phoneNumbers.length,
          verifiedSenders: state.verifiedSenders.length,
          mails: state.mails.length,
          calls: state.calls.length,
          eventWebhook: state.eventWebhook,
          uptimeMs: Date.now() - startedAt,
        };
        return;
      case 'GET /sandbox/messages':
        ctx.body = { messages: state.messages };
        return;
      case 'GET /sandbox/callbacks':
        ctx.body = { callbacks: state.callbacks };
        return;
      case 'GET /sandbox/phone-numbers':
        ctx.body = { phoneNumbers: state.phoneNumbers };
        return;
      case 'GET /sandbox/verified-senders':
        ctx.body = { verifiedSenders: state.verifiedSenders };
        return;
      case 'GET /sandbox/mails':
        ctx.body = { mails: state.mails };
        return;
      case 'GET /sandbox/calls':
        ctx.body = { calls: state.calls };
        return;
      case 'GET /sandbox/email-events':
        ctx.body = { batches: state.eventBatches.map(({ payload: _payload, ...batch }) => batch) };
        return;
      case 'POST /sandbox/sms/inbound': {
        const parsed = await readJson(ctx.req);
        const sms = parsed?.value as Partial<InboundSms> | undefined;
        if (!sms || typeof sms.from !== 'string' || typeof sms.to !== 'string' || typeof sms.body !== 'string') {
          ctx.status = 400;
          ctx.body = { error: 'send JSON {"from": "+1555…", "to": "<a number bought here>", "body": "…", "media_urls"?: [...], "url"?: "…"}' };
          return;
        }
        const mediaUrls = (sms as { media_urls?: unknown }).media_urls;
        try {
          ctx.body = await inboundSms({
            from: sms.from,
            to: sms.to,
            body: sms.body,
            url: typeof sms.url === 'string' ? sms.url : undefined,
            mediaUrls: Array.isArray(mediaUrls) ? mediaUrls.filter((u): u is string => typeof u === 'string') : [],
          });
        } catch (error) {
          ctx.status = 404;
          ctx.body = { error: (error as Error).message };
        }
        return;
      }
      case 'POST /sandbox/calls/inbound':
        return answerWithCall(ctx, placeCallOf((await readJson(ctx.req))?.value), PLACE_CALL_USAGE, voice.placeCall);
      case 'POST /sandbox/calls/client':
        return answerWithCall(ctx, clientCallOf((await readJson(ctx.req))?.value), CLIENT_CALL_USAGE, voice.clientCall);
      case 'POST /sandbox/reset':
        reset();
        ctx.body = { ok: true };
        return;
      default:
        ctx.status = 404;
        ctx.body = { error: `no sandbox route ${route}` };
    }
  };
}
