import { randomUUID } from 'node:crypto';
import { postSignedForm, twilioSignature } from './signature';
import { API_VERSION, type SandboxMessage } from './message';

export const CALLBACK_TIMEOUT_MS = 5_000;

/** One status-callback POST attempt, as recorded by the sandbox. */
export interface DeliveredCallback {
  url: string;
  params: Record<string, string>;
  /** HTTP status code of the receiver's answer, or 'error' when no answer came (see `error`). */
  status: number | 'error';
  /** Connection/timeout error detail when status is 'error'. */
  error?: string;
  ok: boolean;
  /** 1 for the first attempt, 2 for the single retry. */
  attempt: number;
  messageSid: string;
  messageStatus: string;
  signature: string;
  idempotencyToken: string;
  at: string;
}

/** The form parameters Twilio posts to a message's StatusCallback. */
export function statusCallbackParams(m: SandboxMessage): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: m.accountSid,
    ApiVersion: API_VERSION,
    From: m.from ?? '',
    MessageSid: m.sid,
    MessageStatus: m.status,
    SmsSid: m.sid,
    SmsStatus: m.status,
    To: m.to,
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  if (m.errorCode !== null && (m.status === 'undelivered' || m.status === 'failed')) {
    params.ErrorCode = String(m.errorCode);
  }
  return params;
}

/** Short reason for a failed fetch, e.g. ECONNREFUSED (duck-typed: errors may come from another realm). */
function describe(error: unknown): string {
  const e = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `timeout after ${CALLBACK_TIMEOUT_MS} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/**
 * POSTs one signed status callback. Never throws: failures come back as a record.
 * Returns undefined when `cancel` fired (sandbox reset/closed), since nothing should be recorded then.
 */
export async function postStatusCallback(args: {
  url: string;
  params: Record<string, string>;
  authToken: string;
  idempotencyToken?: string;
  attempt: number;
  messageSid: string;
  cancel: AbortSignal;
}): Promise<DeliveredCallback | undefined> {
  const signature = twilioSignature(args.authToken, args.url, args.params);
  const idempotencyToken = args.idempotencyToken ?? randomUUID();
  const base = {
    url: args.url,
    params: args.params,
    attempt: args.attempt,
    messageSid: args.messageSid,
    messageStatus: args.params.MessageStatus,
    signature,
    idempotencyToken,
    at: new Date().toISOString(),
  };
  try {
    const timeout = AbortSignal.any([args.cancel, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]);
    const response = await postSignedForm(args.url, args.params, signature, timeout, { 'I-Twilio-Idempotency-Token': idempotencyToken });
    await response.arrayBuffer().catch(() => undefined);
    return { ...base, status: response.status, ok: response.ok };
  } catch (error) {
    if (args.cancel.aborted) return undefined;
    return { ...base, status: 'error', error: describe(error), ok: false };
  }
}

/** Connection errors, timeouts, 429 and 5xx are worth one retry; other answers are final. */
export function worthRetrying(record: DeliveredCallback): boolean {
  return record.status === 'error' || record.status === 429 || record.status >= 500;
}
