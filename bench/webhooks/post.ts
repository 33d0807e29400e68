/** Signed Twilio status callbacks over keep-alive HTTP, the way Twilio posts them. */
import http from 'node:http';
import { twilioSignature } from '../../sandbox/twilio/signature';
import type { PlannedCallback } from './plan';

export const STATUS_PATH = '/twilio/sms/status';

export interface CallbackPoster {
  post(cb: PlannedCallback): Promise<{ status: number; text: string }>;
  close(): void;
}

export function callbackPoster(options: { baseUrl: string; publicBaseUrl: string; accountSid: string; authToken: string; sockets: number }): CallbackPoster {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.sockets });
  const { hostname, port } = new URL(options.baseUrl);
  const signedUrl = `${options.publicBaseUrl}${STATUS_PATH}`;
  return {
    post: (cb) =>
      new Promise((resolve, reject) => {
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
        const payload = Buffer.from(new URLSearchParams(params).toString());
        const req = http.request(
          {
            agent,
            hostname,
            port,
            path: STATUS_PATH,
            method: 'POST',
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              'Content-Length': payload.length,
              'User-Agent': 'TwilioProxy/1.1',
              'X-Twilio-Signature': twilioSignature(options.authToken, signedUrl, params),
              'I-Twilio-Idempotency-Token': cb.token,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out after 30 s')));
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
