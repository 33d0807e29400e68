/**
 * Magic values: specific inputs that make the sandbox fail or stall on purpose, in the spirit of
 * Twilio's test credentials. Every one is listed in sandbox/README.md.
 *
 * Messages: the `To` number decides what the sandbox does with a message.
 */
import { inDomain } from './validate';

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

/* ---- Phone numbers (AvailablePhoneNumbers / IncomingPhoneNumbers) ---- */

/** Area code with no numbers: searching it lists nothing; buying with AreaCode=555 answers 400 code 21452. */
export const MAGIC_AREA_CODE_NONE_AVAILABLE = '555';
/** Buying this PhoneNumber answers 400 code 21422 (not available), like Twilio's test number. */
export const MAGIC_NUMBER_UNAVAILABLE = '+15005550000';
/** Buying this PhoneNumber answers 400 code 21421 (invalid), like Twilio's test number (same as MAGIC_TO_INVALID). */
export const MAGIC_NUMBER_INVALID = MAGIC_TO_INVALID;

export const MAGIC_PHONE_NUMBERS = Object.freeze({
  areaCodeNoneAvailable: MAGIC_AREA_CODE_NONE_AVAILABLE,
  unavailable: MAGIC_NUMBER_UNAVAILABLE,
  invalid: MAGIC_NUMBER_INVALID,
});

export type PurchasePlan = { kind: 'invalid' } | { kind: 'unavailable' } | { kind: 'buy' };

/** What the sandbox does with a purchase of `phoneNumber` (before checking who owns it). */
export function purchasePlanFor(phoneNumber: string): PurchasePlan {
  if (phoneNumber === MAGIC_NUMBER_INVALID || !E164.test(phoneNumber)) return { kind: 'invalid' };
  if (phoneNumber === MAGIC_NUMBER_UNAVAILABLE) return { kind: 'unavailable' };
  return { kind: 'buy' };
}

/* ---- Voice calls created through the REST API: the `To` number decides whether the callee answers ---- */

/** Rings, then `busy`: no TwiML is fetched. */
export const MAGIC_CALL_TO_BUSY = '+15005550010';
/** Rings, then `no-answer`: no TwiML is fetched. */
export const MAGIC_CALL_TO_NO_ANSWER = '+15005550011';
/** `initiated`, then `failed` (never rings): no TwiML is fetched. */
export const MAGIC_CALL_TO_FAILED = '+15005550012';

export const MAGIC_CALL_NUMBERS = Object.freeze({
  busy: MAGIC_CALL_TO_BUSY,
  noAnswer: MAGIC_CALL_TO_NO_ANSWER,
  failed: MAGIC_CALL_TO_FAILED,
});

export type CalleePlan = 'answer' | 'busy' | 'no-answer' | 'failed';

/** What the callee of a REST-created call to `to` does; any other number (or client:…) answers. */
export function calleePlanFor(to: string): CalleePlan {
  if (to === MAGIC_CALL_TO_BUSY) return 'busy';
  if (to === MAGIC_CALL_TO_NO_ANSWER) return 'no-answer';
  if (to === MAGIC_CALL_TO_FAILED) return 'failed';
  return 'answer';
}

/* ---- SendGrid verified senders: the domain of `from_email` decides ---- */

/** Senders @fail.example (or a subdomain) are created but never verify (status `failed` after the delay). */
export const MAGIC_SENDER_DOMAIN_UNVERIFIABLE = 'fail.example';
/** Senders @invalid.example (or a subdomain) are rejected: 400 with errors[].field = 'from_email'. */
export const MAGIC_SENDER_DOMAIN_INVALID = 'invalid.example';

export const MAGIC_SENDER_DOMAINS = Object.freeze({
  unverifiable: MAGIC_SENDER_DOMAIN_UNVERIFIABLE,
  invalid: MAGIC_SENDER_DOMAIN_INVALID,
});

export type SenderPlan = { kind: 'invalid' } | { kind: 'never-verifies' } | { kind: 'verifies' };

/** What the sandbox does with a sender whose from_email is at `domain` (lower-case). */
export function senderPlanFor(domain: string): SenderPlan {
  if (inDomain(domain, MAGIC_SENDER_DOMAIN_INVALID)) return { kind: 'invalid' };
  if (inDomain(domain, MAGIC_SENDER_DOMAIN_UNVERIFIABLE)) return { kind: 'never-verifies' };
  return { kind: 'verifies' };
}

/* ---- SendGrid mail: the recipient address decides which events follow a send ---- */

/** `processed`, then `bounce` (550 5.1.1, the mailbox does not exist). */
export const MAGIC_EMAIL_BOUNCE = 'bounce@example.com';
/** `dropped` (SendGrid will not try: the address bounced before). */
export const MAGIC_EMAIL_DROPPED = 'dropped@example.com';

export const MAGIC_EMAILS = Object.freeze({ bounce: MAGIC_EMAIL_BOUNCE, dropped: MAGIC_EMAIL_DROPPED });

export interface MailEventStep {
  event: 'processed' | 'delivered' | 'bounce' | 'dropped';
  /** Event fields beyond the common ones (reason, status, type, response). */
  fields?: Record<string, string>;
}

/** The events SendGrid posts for one recipient of an accepted mail, in order. */
export function mailPlanFor(email: string): MailEventStep[] {
  const address = email.toLowerCase();
  if (address === MAGIC_EMAIL_BOUNCE) {
    return [
      { event: 'processed' },
      {
        event: 'bounce',
        fields: { type: 'bounce', status: '5.1.1', reason: "550 5.1.1 The email account that you tried to reach does not exist." },
      },
    ];
  }
  if (address === MAGIC_EMAIL_DROPPED) return [{ event: 'dropped', fields: { reason: 'Bounced Address' } }];
  return [{ event: 'processed' }, { event: 'delivered', fields: { response: '250 2.0.0 OK' } }];
}
