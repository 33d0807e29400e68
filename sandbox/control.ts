import type Koa from 'koa';
import { readJson } from './body';
import type { SandboxState } from './state';
import type { InboundDelivery, InboundSms } from './twilio/inbound';

/** Unauthenticated helpers for tests and humans under /sandbox/. */
export function controlRoutes(state: SandboxState, reset: () => void, inboundSms: (sms: InboundSms) => Promise<InboundDelivery>): Koa.Middleware {
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
