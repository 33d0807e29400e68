import type Koa from 'koa';
import { readJson } from '../body';
import { send } from '../reply';
import { isBearerAuthorized, type SendGridCredentials } from './auth';
import { sgErrors } from './errors';
import type { SendGridMail } from './mail';
import type { SendGridSenders } from './senders';
import type { EventWebhookSettingsResource } from './webhook-settings';

const V3_PATH = /^\/v3(\/.*)?$/;
const SENDERS = /^\/verified_senders\/?$/;
const SENDER = /^\/verified_senders\/(\d+)\/?$/;
const MAIL_SEND = /^\/mail\/send\/?$/;
const WEBHOOK_SETTINGS = /^\/user\/webhooks\/event\/settings\/?$/;
const WEBHOOK_SIGNED = /^\/user\/webhooks\/event\/settings\/signed\/?$/;

export interface SendGridResources {
  senders: SendGridSenders;
  mail: SendGridMail;
  eventWebhook: EventWebhookSettingsResource;
}

/** Koa middleware serving SendGrid's v3 API under /v3/ with Bearer auth: mail/send, verified_senders, event webhook settings. */
export function sendgridRoutes(creds: SendGridCredentials, { senders, mail, eventWebhook }: SendGridResources): Koa.Middleware {
  return async (ctx, next) => {
    const match = V3_PATH.exec(ctx.path);
    if (!match) return next();
    const rest = match[1] ?? '';

    if (!isBearerAuthorized(creds, ctx.get('Authorization') || undefined)) {
      return send(ctx, { status: 401, body: sgErrors.unauthorized() });
    }

    if (MAIL_SEND.test(rest)) {
      if (ctx.method !== 'POST') return send(ctx, { status: 405, body: sgErrors.methodNotAllowed() });
      const body = await readJson(ctx.req);
      if (!body) return send(ctx, { status: 400, body: sgErrors.badJson() });
      return send(ctx, mail.send(body.value));
    }
    if (WEBHOOK_SETTINGS.test(rest) || WEBHOOK_SIGNED.test(rest)) {
      const signed = WEBHOOK_SIGNED.test(rest);
      if (ctx.method === 'GET') return send(ctx, signed ? eventWebhook.signed() : eventWebhook.get());
      if (ctx.method === 'PATCH') {
        const body = await readJson(ctx.req);
        if (!body) return send(ctx, { status: 400, body: sgErrors.badJson() });
        return send(ctx, signed ? eventWebhook.signed() : eventWebhook.update(body.value));
      }
      return send(ctx, { status: 405, body: sgErrors.methodNotAllowed() });
    }
    if (SENDERS.test(rest)) {
      if (ctx.method === 'GET') return send(ctx, senders.list(new URLSearchParams(ctx.querystring)));
      if (ctx.method === 'POST') {
        const body = await readJson(ctx.req);
        if (!body) return send(ctx, { status: 400, body: sgErrors.badJson() });
        return send(ctx, senders.create(body.value));
      }
      return send(ctx, { status: 405, body: sgErrors.methodNotAllowed() });
    }
    const single = SENDER.exec(rest);
    if (single) {
      if (ctx.method === 'DELETE') return send(ctx, senders.remove(single[1]));
      return send(ctx, { status: 405, body: sgErrors.methodNotAllowed() });
    }
    return send(ctx, { status: 404, body: sgErrors.notFound() });
  };
}
