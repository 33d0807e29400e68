import { randomBytes } from 'node:crypto';
import { copyParams } from '../body';
import type { MessageStatus } from '../magic';

export const API_VERSION = '2010-04-01';

export interface StatusChange {
  status: MessageStatus;
  at: Date;
  errorCode: number | null;
}

/** A message as the sandbox stores it (what tests assert on). */
export interface SandboxMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  mediaUrls: string[];
  statusCallback: string | null;
  status: MessageStatus;
  errorCode: number | null;
  errorMessage: string | null;
  numSegments: number;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  /** Every status the message has had, oldest first (starts with `queued`). */
  history: StatusChange[];
  /** The create request's form parameters as received (repeated keys become arrays). */
  params: Record<string, string | string[]>;
}

export function newMessageSid(): string {
  return 'SM' + randomBytes(16).toString('hex');
}

/** Twilio's RFC 2822 timestamps, e.g. "Thu, 30 Jul 2015 20:12:31 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function messagePath(accountSid: string, sid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
}

/** The Message resource JSON exactly as Twilio's 2010-04-01 API renders it. */
export function toResource(m: SandboxMessage): Record<string, unknown> {
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateUpdated),
    direction: 'outbound-api',
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: String(m.mediaUrls.length),
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: {
      media: `/${API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json`,
    },
    to: m.to,
    uri: messagePath(m.accountSid, m.sid),
  };
}

/** Deep copy, so callers cannot mutate the store (by hand: structuredClone's Dates fail `instanceof Date` under jest). */
export function snapshot(m: SandboxMessage): SandboxMessage {
  return {
    ...m,
    mediaUrls: [...m.mediaUrls],
    dateCreated: new Date(m.dateCreated),
    dateUpdated: new Date(m.dateUpdated),
    dateSent: m.dateSent && new Date(m.dateSent),
    history: m.history.map((h) => ({ ...h, at: new Date(h.at) })),
    params: copyParams(m.params),
  };
}
