import { createHmac } from 'node:crypto';

/**
 * Twilio webhook signature (X-Twilio-Signature):
 * base64(HMAC-SHA1(authToken, url + key1 + value1 + key2 + value2 ...)) with the POST
 * params sorted by key. Written independently of the twilio package so the sandbox
 * can check the application's validator rather than agree with it by construction.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const payload = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(payload, 'utf-8')).digest('base64');
}

/** Posts a webhook the way Twilio does: a signed form, redirects not followed. */
export function postSignedForm(
  url: string,
  params: Record<string, string>,
  signature: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'TwilioProxy/1.1', 'X-Twilio-Signature': signature, ...headers },
    body: new URLSearchParams(params).toString(),
    redirect: 'manual',
    signal,
  });
}
