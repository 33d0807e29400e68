/**
 * Magic recipients: the `To` number decides what the sandbox does with a message,
 * in the spirit of Twilio's test credentials.
 */

/** Create is rejected: 400, code 21211 (invalid 'To' number). */
export const MAGIC_TO_INVALID = '+15005550001';
/** Accepted, then `sent`, then `undelivered` with ErrorCode 30003. */
export const MAGIC_TO_UNDELIVERED = '+15005550002';
/** Create answers 503 (retryable provider outage). */
export const MAGIC_TO_UNAVAILABLE = '+15005550003';
/** Accepted, then `sent`, then nothing further (never reaches a final status). */
export const MAGIC_TO_STUCK_SENT = '+15005550004';

export const MAGIC_NUMBERS = Object.freeze({
  invalid: MAGIC_TO_INVALID,
  undelivered: MAGIC_TO_UNDELIVERED,
  unavailable: MAGIC_TO_UNAVAILABLE,
  stuckSent: MAGIC_TO_STUCK_SENT,
});

/** Twilio's E.164 shape: '+', a non-zero digit, 6 to 14 more digits. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/** Sender the sandbox assigns when a message is sent through a Messaging Service without `From`. */
export const SANDBOX_SERVICE_FROM = '+15005550006';

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface StatusStep {
  status: MessageStatus;
  errorCode?: number;
  errorMessage?: string;
}

export type RecipientPlan =
  | { kind: 'invalid-to' }
  | { kind: 'unavailable' }
  | { kind: 'accept'; steps: StatusStep[] };

/** What the sandbox does with a message addressed to `to` (already known to be present). */
export function planFor(to: string): RecipientPlan {
  if (to === MAGIC_TO_INVALID || !E164.test(to)) return { kind: 'invalid-to' };
  if (to === MAGIC_TO_UNAVAILABLE) return { kind: 'unavailable' };
  if (to === MAGIC_TO_UNDELIVERED) {
    return {
      kind: 'accept',
      steps: [
        { status: 'sent' },
        { status: 'undelivered', errorCode: 30003, errorMessage: 'Unreachable destination handset' },
      ],
    };
  }
  if (to === MAGIC_TO_STUCK_SENT) return { kind: 'accept', steps: [{ status: 'sent' }] };
  return { kind: 'accept', steps: [{ status: 'sent' }, { status: 'delivered' }] };
}
