import type Koa from 'koa';
import { readForm } from '../body';
import { isAuthorized, type TwilioCredentials } from './auth';
import { errors, twilioError } from './errors';
import { API_VERSION } from './message';
import type { Reply, TwilioMessages } from './messages';

const ACCOUNT_PATH = new RegExp(`^/${API_VERSION}/Accounts/([^/]+)(/.*)?$`);
const MESSAGES = /^\/Messages\.json$/;
const MESSAGE = /^\/Messages\/([^/]+)\.json$/;

function send(ctx: Koa.Context, reply: Reply): void {
  ctx.status = reply.status;
  ctx.body = reply.body;
  for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
}

const methodNotAllowed = (): Reply => ({ status: 405, body: twilioError(405, 20004, 'Method not allowed') });

/** Koa middleware serving /2010-04-01/Accounts/{AccountSid}/Messages[...].json with Basic auth. */
export function twilioRoutes(creds: TwilioCredentials, messages: TwilioMessages): Koa.Middleware {
  return async (ctx, next) => {
    const match = ACCOUNT_PATH.exec(ctx.path);
    if (!match) return next();
    const [, accountSid, rest = ''] = match;

    if (!isAuthorized(creds, ctx.get('Authorization') || undefined, accountSid)) {
      ctx.set('WWW-Authenticate', 'Basic realm="Twilio API"');
      return send(ctx, { status: 401, body: errors.authenticate() });
    }

    if (MESSAGES.test(rest)) {
      if (ctx.method === 'POST') return send(ctx, messages.create(accountSid, await readForm(ctx.req)));
      if (ctx.method === 'GET') return send(ctx, messages.list(new URLSearchParams(ctx.querystring), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    const single = MESSAGE.exec(rest);
    if (single) {
      if (ctx.method === 'GET') return send(ctx, messages.fetch(single[1], ctx.path));
      return send(ctx, methodNotAllowed());
    }
    return send(ctx, { status: 404, body: errors.notFound(ctx.path) });
  };
}
