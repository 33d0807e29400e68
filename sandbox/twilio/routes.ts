import type Koa from 'koa';
import { readForm } from '../body';
import { send, type Reply } from '../reply';
import { isAuthorized, type TwilioCredentials } from './auth';
import { silentWav } from './call';
import type { TwilioCalls } from './calls';
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
const CALLS = /^\/Calls\.json$/;
const CALL = /^\/Calls\/([^/]+)\.json$/;
const RECORDING_MEDIA = /^\/Recordings\/(RE[0-9a-f]{32})(\.wav|\.mp3)?$/;

export interface TwilioResources {
  messages: TwilioMessages;
  phoneNumbers: TwilioPhoneNumbers;
  calls: TwilioCalls;
}

const methodNotAllowed = (): Reply => ({ status: 405, body: twilioError(405, 20004, 'Method not allowed') });

/**
 * Koa middleware serving the 2010-04-01 API under /2010-04-01/Accounts/{AccountSid}/ with Basic auth:
 * Messages, AvailablePhoneNumbers/{Country}/{Local,TollFree}, IncomingPhoneNumbers and Calls; and,
 * without auth like Twilio's public recording URLs, the audio of recordings made by calls.
 */
export function twilioRoutes(creds: TwilioCredentials, resources: TwilioResources): Koa.Middleware {
  const { messages, phoneNumbers, calls } = resources;
  return async (ctx, next) => {
    const match = ACCOUNT_PATH.exec(ctx.path);
    if (!match) return next();
    const [, accountSid, rest = ''] = match;

    const recording = RECORDING_MEDIA.exec(rest);
    if (recording && ctx.method === 'GET') {
      if (accountSid !== creds.accountSid || !calls.hasRecording(recording[1])) {
        return send(ctx, { status: 404, body: errors.notFound(ctx.path) });
      }
      // The same WAV whatever the extension asks for: enough to fetch and store, nothing to hear.
      ctx.type = 'audio/x-wav';
      ctx.body = silentWav();
      return;
    }

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

    if (CALLS.test(rest)) {
      if (ctx.method === 'POST') return send(ctx, calls.create(await readForm(ctx.req)));
      if (ctx.method === 'GET') return send(ctx, calls.list(query(), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    const call = CALL.exec(rest);
    if (call) {
      if (ctx.method === 'GET') return send(ctx, calls.fetch(call[1], ctx.path));
      if (ctx.method === 'POST') return send(ctx, calls.update(call[1], await readForm(ctx.req), ctx.path));
      return send(ctx, methodNotAllowed());
    }
    return send(ctx, { status: 404, body: errors.notFound(ctx.path) });
  };
}
