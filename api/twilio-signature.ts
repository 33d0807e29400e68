import type { Context } from 'koa';
import twilio from 'twilio';
import { Forbidden } from './errors';

/**
 * Checks X-Twilio-Signature against the address Twilio was given for us (PUBLIC_BASE_URL plus
 * the path and query it called), so it holds behind proxies that rewrite the host.
 */
export function verifyTwilioSignature(ctx: Context, authToken: string, publicBaseUrl: string, params: Record<string, string | string[]>): void {
  const signature = ctx.get('X-Twilio-Signature');
  if (!signature) throw new Forbidden('Missing X-Twilio-Signature');
  const url = `${publicBaseUrl}${ctx.originalUrl}`;
  if (!twilio.validateRequest(authToken, signature, url, params)) throw new Forbidden('Invalid Twilio signature');
}
