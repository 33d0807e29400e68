import type { Context } from 'koa';
import { z } from 'zod';
import type { Config } from '../config/env';
import { Forbidden, ValidationFailed } from './errors';
import { httpErrorSchema, validationErrorSchema } from './schemas/common';
import { verifyTwilioSignature } from './twilio-signature';

/** Twilio's webhooks are flat forms; a field may repeat. */
export const formFields = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** The refusals every Twilio webhook may answer; `what` names what a good request is. */
export const twilioWebhookRefusals = (what: string) => ({
  403: { description: 'Bad signature or account', schema: httpErrorSchema },
  422: { description: `Not ${what}`, schema: validationErrorSchema },
});

/**
 * A Twilio webhook's form, once it is known to come from Twilio: the signature checked first
 * (over every field, known or not), then the fields we read, then the account.
 */
export function readTwilioWebhook<S extends z.ZodType<{ AccountSid?: string }>>(
  ctx: Context,
  config: Pick<Config, 'twilio' | 'publicBaseUrl'>,
  body: Record<string, string | string[]>,
  schema: S,
): z.output<S> {
  verifyTwilioSignature(ctx, config.twilio.authToken, config.publicBaseUrl, body);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ValidationFailed(parsed.error.issues.map((i) => ({ loc: ['body', ...i.path.map(String)], msg: i.message, type: i.code })));
  }
  if (parsed.data.AccountSid && parsed.data.AccountSid !== config.twilio.accountSid) throw new Forbidden('Unknown Twilio account');
  return parsed.data;
}
