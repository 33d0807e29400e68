import { randomBytes } from 'node:crypto';
import { API_VERSION, rfc2822 } from './message';
import { friendlyNameOf } from './numbering';

export type CallStatus = 'queued' | 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type CallDirection = 'inbound' | 'outbound-api';

/** How the far ends of a call behave; see sandbox/README.md (Voice calls). */
export interface CallScript {
  /** How each <Dial> plays out; default 'no-answer'. */
  dial?: 'answer' | 'no-answer' | 'busy' | 'failed' | 'caller-hangs-up';
  /** Which noun of the <Dial> answers: its text (e.g. 'staff_3' for <Client>staff_3</Client>, or '+15551234567'); default the first. */
  answeredBy?: string;
  /** Talk time reported for an answered <Dial>, seconds; default 30. */
  talkSeconds?: number;
  /** At a <Record>: seconds the caller speaks; 0 means they hang up without leaving one (no recording). Default 0. */
  voicemailSeconds?: number;
}

/** Statuses a call never leaves. */
export const FINAL_CALL_STATUSES: readonly CallStatus[] = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

/** One child leg of a <Dial>: a <Client> or <Number> that was rung. */
export interface CallLeg {
  sid: string;
  /** `client:<identity>` or the number. */
  to: string;
  status: CallStatus;
  /** Talk time in seconds once the leg ended (0 unless it answered). */
  duration: number | null;
}

export interface CallRecording {
  sid: string;
  url: string;
  duration: number;
  source: 'RecordVerb' | 'DialVerb';
}

/** One request the sandbox made for a call: TwiML fetch, action, status or recording callback. */
export interface CallWebhook {
  url: string;
  params: Record<string, string>;
  status: number | 'error';
  /** The answer's body, or the error when no answer came. */
  responseBody: string;
}

/** A call as the sandbox stores it (what tests assert on). */
export interface SandboxCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: CallDirection;
  status: CallStatus;
  /** Seconds the call was answered, once it ended. */
  duration: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  dateCreated: Date;
  dateUpdated: Date;
  /** Every TwiML document fetched (or given inline), in order. */
  twiml: string[];
  legs: CallLeg[];
  recordings: CallRecording[];
  /** Every request made for this call, in order. */
  webhooks: CallWebhook[];
  /** Why the call failed (Twilio's error code and message). */
  error?: { code: number; message: string };
}

export function newCallSid(): string {
  return 'CA' + randomBytes(16).toString('hex');
}

export function newRecordingSid(): string {
  return 'RE' + randomBytes(16).toString('hex');
}

export function callPath(accountSid: string, sid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Calls/${sid}.json`;
}

export function recordingPath(accountSid: string, sid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/Recordings/${sid}`;
}

/** The Call resource JSON as Twilio's 2010-04-01 API renders it. */
export function toCallResource(c: SandboxCall): Record<string, unknown> {
  const base = `/${API_VERSION}/Accounts/${c.accountSid}/Calls/${c.sid}`;
  return {
    account_sid: c.accountSid,
    annotation: null,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(c.dateCreated),
    date_updated: rfc2822(c.dateUpdated),
    direction: c.direction,
    duration: c.duration === null ? null : String(c.duration),
    end_time: c.endedAt ? rfc2822(c.endedAt) : null,
    forwarded_from: null,
    from: c.from,
    from_formatted: friendlyNameOf(c.from),
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: c.sid,
    start_time: c.startedAt ? rfc2822(c.startedAt) : null,
    status: c.status,
    subresource_uris: {
      events: `${base}/Events.json`,
      notifications: `${base}/Notifications.json`,
      recordings: `${base}/Recordings.json`,
      payments: `${base}/Payments.json`,
      streams: `${base}/Streams.json`,
      transcriptions: `${base}/Transcriptions.json`,
    },
    to: c.to,
    to_formatted: friendlyNameOf(c.to),
    trunk_sid: null,
    uri: callPath(c.accountSid, c.sid),
  };
}

/** Deep copy, so callers cannot mutate the store (by hand: structuredClone's Dates fail `instanceof Date` under jest). */
export function callSnapshot(c: SandboxCall): SandboxCall {
  const date = (d: Date | null): Date | null => d && new Date(d);
  return {
    ...c,
    startedAt: date(c.startedAt),
    endedAt: date(c.endedAt),
    dateCreated: new Date(c.dateCreated),
    dateUpdated: new Date(c.dateUpdated),
    twiml: [...c.twiml],
    legs: c.legs.map((leg) => ({ ...leg })),
    recordings: c.recordings.map((r) => ({ ...r })),
    webhooks: c.webhooks.map((w) => ({ ...w, params: { ...w.params } })),
    ...(c.error ? { error: { ...c.error } } : {}),
  };
}

/**
 * A tiny valid WAV (0.1 s of 8 kHz 16-bit mono silence), what every recording URL serves:
 * enough for a player or a content-type check, nothing to listen to.
 */
export function silentWav(): Buffer {
  const samples = 800;
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + data, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(data, 40);
  return wav;
}
