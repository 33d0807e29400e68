/** Signed Twilio status callbacks over keep-alive HTTP, the way Twilio posts them. */
import { twilioSignature } from '../../sandbox/twilio/signature';
import { postClient } from '../lib/load';
import type { PlannedCallback } from './plan';

export const STATUS_PATH = '/twilio/sms/status';

export interface CallbackPoster {
  post(cb: PlannedCallback): Promise<{ status: number; text: string }>;
  close(): void;
}

export function callbackPoster(options: { baseUrl: string; publicBaseUrl: string; accountSid: string; authToken: string; sockets: number }): CallbackPoster {
  const client = postClient(options.baseUrl, options.sockets);
  const signedUrl = `${options.publicBaseUrl}${STATUS_PATH}`;
  return {
    post: (cb) => {
      const params: Record<string, string> = {
        AccountSid: options.accountSid,
        ApiVersion: '2010-04-01',
        From: '+15005550006',
        MessageSid: cb.sid,
        MessageStatus: cb.word,
        SmsSid: cb.sid,
        SmsStatus: cb.word,
        To: '+15550000000',
      };
      if (cb.word === 'undelivered') params.ErrorCode = '30003';
      if (cb.word === 'failed') params.ErrorCode = '30008';
      return client.post(STATUS_PATH, Buffer.from(new URLSearchParams(params).toString()), {
        'Content-Type': 'application/x-www-form-urlencoded',
        'User-Agent': 'TwilioProxy/1.1',
        'X-Twilio-Signature': twilioSignature(options.authToken, signedUrl, params),
        'I-Twilio-Idempotency-Token': cb.token,
      });
    },
    close: () => client.close(),
  };
}
