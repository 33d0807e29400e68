import twilio from 'twilio';
import { ADMIN_KEY, type TestStack } from './stack';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON request to the API under test; the admin key unless other headers say otherwise. */
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key !== null) headers['X-API-KEY'] ??= options.key ?? ADMIN_KEY;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (TwiML, HTML): keep the text.
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await probe();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  return last;
}

/** Posts a webhook the way Twilio does: form-encoded, signed over PUBLIC_BASE_URL and the path (unless a signature is given). */
export function postAsTwilio(
  stack: Pick<TestStack, 'baseUrl' | 'config'>,
  path: string,
  params: Record<string, string>,
  options: { signature?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const signature = options.signature ?? twilio.getExpectedTwilioSignature(stack.config.twilio.authToken, `${stack.config.publicBaseUrl}${path}`, params);
  return api(stack.baseUrl, 'POST', path, {
    key: null,
    rawBody: new URLSearchParams(params).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, ...options.headers },
  });
}
