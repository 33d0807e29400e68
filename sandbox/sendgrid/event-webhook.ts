import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';

export const EVENT_WEBHOOK_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/** Where SendGrid posts events (account-wide, like its Mail Settings page). */
export interface EventWebhookSettings {
  url: string | null;
  enabled: boolean;
}

/** One event as SendGrid posts it: its fixed fields plus the send's custom args at the top level. */
export type SendGridEvent = Record<string, unknown> & {
  email: string;
  timestamp: number;
  event: string;
  sg_event_id: string;
  sg_message_id: string;
};

/** One Event Webhook POST attempt, as recorded by the sandbox. */
export interface DeliveredEventBatch {
  url: string;
  events: SendGridEvent[];
  /** The exact bytes posted. */
  payload: string;
  timestamp: string;
  signature: string;
  /** HTTP status of the receiver's answer, or 'error' when none came (see `error`). */
  status: number | 'error';
  error?: string;
  ok: boolean;
  attempt: number;
  at: string;
}

/**
 * Signs event batches the way SendGrid's Signed Event Webhook does: ECDSA P-256 with SHA-256
 * over `timestamp + payload`, the DER signature in base64. Written with node:crypto, not the
 * @sendgrid/eventwebhook package, so the sandbox checks omega's verifier instead of agreeing
 * with it by construction.
 */
export class EventSigner {
  private readonly key: KeyObject;
  /** The verification key as SendGrid shows it: SPKI DER, base64. */
  readonly publicKey: string;

  /** `privateKey`: PKCS#8 DER in base64, or PEM. */
  constructor(privateKey: string) {
    this.key = privateKey.includes('-----BEGIN')
      ? createPrivateKey(privateKey)
      : createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' });
    if (this.key.asymmetricKeyType !== 'ec') throw new Error('the Event Webhook signing key must be an EC (P-256) private key');
    this.publicKey = createPublicKey(this.key).export({ type: 'spki', format: 'der' }).toString('base64');
  }

  sign(timestamp: string, payload: string): string {
    return sign('sha256', Buffer.from(timestamp + payload, 'utf8'), this.key).toString('base64');
  }
}

/** SendGrid's event ids: 22 url-safe base64 characters. */
export function newEventId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function describe(error: unknown): string {
  const e = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `timeout after ${EVENT_WEBHOOK_TIMEOUT_MS} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/**
 * POSTs one signed batch. Never throws: failures come back as a record. Undefined when `cancel`
 * fired (sandbox reset or closed).
 */
export async function postEventBatch(args: {
  url: string;
  events: SendGridEvent[];
  signer: EventSigner;
  attempt: number;
  cancel: AbortSignal;
}): Promise<DeliveredEventBatch | undefined> {
  const payload = JSON.stringify(args.events);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = args.signer.sign(timestamp, payload);
  const base = { url: args.url, events: args.events, payload, timestamp, signature, attempt: args.attempt, at: new Date().toISOString() };
  try {
    const response = await fetch(args.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'SendGrid Event API',
        [SIGNATURE_HEADER]: signature,
        [TIMESTAMP_HEADER]: timestamp,
      },
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.any([args.cancel, AbortSignal.timeout(EVENT_WEBHOOK_TIMEOUT_MS)]),
    });
    await response.arrayBuffer().catch(() => undefined);
    return { ...base, status: response.status, ok: response.ok };
  } catch (error) {
    if (args.cancel.aborted) return undefined;
    return { ...base, status: 'error', error: describe(error), ok: false };
  }
}

/** SendGrid retries a batch that got no 2xx. */
export function worthRetrying(record: DeliveredEventBatch): boolean {
  return !record.ok;
}
