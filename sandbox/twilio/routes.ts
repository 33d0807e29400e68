import type Koa from 'koa';
import { readForm } from '../body';
import { send, type Reply } from '../reply';
import { isAuthorized, type TwilioCredentials } from './auth';
import { errors, twilioError } from './errors';
import { API_VERSION } from './message';
import type { TwilioMessages } from './messages';
import type { TwilioPhoneNumbers } from './phone-numbers';

const ACCOUNT_PATH = new RegExp(`^/${API_VERSION}/Accounts/([^/]+)(/.*)?$`);
const MESSAGES = /^\/Messages\.json$/;
const MESSAGE = /^\/Messages\/([^/]+)\.json$/;
const AVAILABLE = /^\/AvailablePhoneNumbers\/([^/]+)\/(Local|TollFree)\.json$/;
const INCOMING_NUMBERS = /^\/IncomingPhoneNumbers\.json$/;
const INCOMING_NUMBER = /^\/IncomingPhoneNumbers\/([^/]+)\.json$/;

export interface TwilioResources {
  messages: TwilioMessages;
  phoneNumbers: TwilioPhoneNumbers;
}

const methodNotAllowed = (): Reply => ({ status: 405, body: twilioError(405, 20004, 'Method not allowed') });

/**
 * Koa middleware serving the 2010-04-01 API under /2010-04-01/Accounts/{AccountSid}/ with Basic auth:
 * Messages, AvailablePhoneNumbers/{Country}/{Local,TollFree} and IncomingPhoneNumbers.
 */
export function twilioRoutes(creds: TwilioCredentials, resources: TwilioResources): Koa.Middleware {
  const { messages, phoneNumbers } = resources;
  return async (ctx, next) => {
    const match = ACCOUNT_PATH.exec(ctx.path);
    if (!match) return next();
    const [, accountSid, rest = ''] = match;

    if (!isAuthorized(creds, ctx.get('Authorization') || undefined, accountSid)) {
      ctx.set('WWW-Authenticate', 'Basic realm="Twilio API"');
      return send(ctx, { status: 401, body: errors.authenticate() });
    }
    const query = (): URLSearchParams => new URLSearchParams(ctx.querystring);

    if (MESSAGES.test(rest)) {
      if (ctx.method === 'POST') return send(ctx, messages.create(accountSid, await readForm(ctx.req)));
      if (ctx.method === 'GET') return send(ctx, messages.list(query(), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    const message = MESSAGE.exec(rest);
    if (message) {
      if (ctx.method === 'GET') return send(ctx, messages.fetch(message[1], ctx.path));
      return send(ctx, methodNotAllowed());
    }

    const available = AVAILABLE.exec(rest);
    if (available) {
      const kind = available[2] === 'TollFree' ? 'TollFree' : 'Local';
      if (ctx.method === 'GET') return send(ctx, phoneNumbers.search(available[1], kind, query(), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    if (INCOMING_NUMBERS.test(rest)) {
      if (ctx.method === 'POST') return send(ctx, phoneNumbers.create(accountSid, await readForm(ctx.req)));
      if (ctx.method === 'GET') return send(ctx, phoneNumbers.list(query(), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    const number = INCOMING_NUMBER.exec(rest);
    if (number) {
      const sid = number[1];
      if (ctx.method === 'GET') return send(ctx, phoneNumbers.fetch(sid, ctx.path));
      if (ctx.method === 'POST') return send(ctx, phoneNumbers.update(accountSid, sid, await readForm(ctx.req), ctx.path));
      if (ctx.method === 'DELETE') return send(ctx, phoneNumbers.release(sid, ctx.path));
      return send(ctx, methodNotAllowed());
    }
    return send(ctx, { status: 404, body: errors.notFound(ctx.path) });
  };
}
