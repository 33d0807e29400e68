import type { Direction, MessageStatus } from './message-status';

/** Twilio's call statuses, as the call log shows them. */
export const CALL_STATUSES = ['ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** How a dialled party's leg, or the whole dial, ended without a conversation. */
export type UnansweredOutcome = 'no-answer' | 'busy' | 'failed' | 'canceled';

/**
 * One thing Twilio told us about a call, from any of its webhooks: the progress of the call
 * itself or of a dialled leg (a staff member's browser, the client's phone), how the dial ended,
 * or a recording (the conversation's, or a voicemail).
 */
export type CallEvent =
  | { kind: 'progress'; leg: 'call' | 'dial'; status: CallStatus | 'queued' | 'initiated'; party?: string | null; durationS?: number | null; at: string }
  | { kind: 'dial-ended'; status: 'completed' | UnansweredOutcome; durationS?: number | null; at: string }
  | { kind: 'recording'; source: 'call' | 'voicemail'; url: string; durationS?: number | null; at: string };

/**
 * What the timeline keeps of a call (messages.call). The facts only ever accumulate, so the
 * same webhooks in any order, any number of times, give the same log; `status` and `missed`
 * are derived from them.
 */
export interface CallLog {
  status: CallStatus;
  /** Someone picked up: a staff member (inbound) or the client (outbound). */
  answered: boolean;
  answered_by_staff_id: number | null;
  /** Who picked up, as Twilio names the leg (`client:staff_3`, or a number). */
  answered_by: string | null;
  /** How the dial ended when nobody picked up. */
  unanswered_outcome: UnansweredOutcome | null;
  /** The call's own final status, once it has ended. */
  ended_status: CallStatus | null;
  ended_at: string | null;
  /** Seconds of conversation. */
  duration_s: number | null;
  recording_url: string | null;
  voicemail_url: string | null;
  voicemail_duration_s: number | null;
  /** An inbound call that ended, or is ending in voicemail, with nobody having picked up. */
  missed: boolean;
  text_back_message_id: number | null;
}

export function newCallLog(): CallLog {
  return {
    status: 'ringing',
    answered: false,
    answered_by_staff_id: null,
    answered_by: null,
    unanswered_outcome: null,
    ended_status: null,
    ended_at: null,
    duration_s: null,
    recording_url: null,
    voicemail_url: null,
    voicemail_duration_s: null,
    missed: false,
    text_back_message_id: null,
  };
}

const FINAL: ReadonlySet<string> = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export const isFinalCallStatus = (status: string): boolean => FINAL.has(status);

/** The staff id in a browser client's identity (`staff_<id>`, as Twilio reports it, `client:staff_<id>`). */
export function staffIdOfParty(party: string | null | undefined): number | null {
  const match = /^(?:client:)?staff_(\d+)$/.exec(party ?? '');
  return match ? Number(match[1]) : null;
}

function withStatus(log: CallLog, direction: Direction): CallLog {
  const status: CallStatus = log.answered
    ? log.ended_status || log.duration_s !== null
      ? 'completed'
      : 'in-progress'
    : (log.unanswered_outcome ?? (log.ended_status === 'completed' ? 'no-answer' : (log.ended_status ?? 'ringing')));
  const missed = direction === 'inbound' && !log.answered && status !== 'ringing';
  return { ...log, status, missed };
}

/** The log after one more event. */
export function applyCallEvent(log: CallLog, direction: Direction, event: CallEvent): CallLog {
  const next = { ...log };
  if (event.kind === 'recording') {
    if (event.source === 'voicemail') {
      next.voicemail_url = event.url;
      next.voicemail_duration_s = event.durationS ?? next.voicemail_duration_s;
    } else {
      next.recording_url = event.url;
    }
  } else if (event.kind === 'dial-ended') {
    if (event.status === 'completed') answer(next, null);
    else next.unanswered_outcome ??= event.status;
    if (event.status === 'completed' && event.durationS) next.duration_s ??= event.durationS;
  } else if (event.leg === 'call') {
    if (isFinalCallStatus(event.status)) {
      next.ended_status ??= event.status as CallStatus;
      next.ended_at ??= event.at;
    }
  } else {
    applyLegProgress(next, direction, event);
  }
  return withStatus(next, direction);
}

function answer(log: CallLog, party: string | null): void {
  log.answered = true;
  if (party && !log.answered_by) {
    log.answered_by = party;
    log.answered_by_staff_id = staffIdOfParty(party);
  }
}

/**
 * A dialled leg. Inbound calls ring every staff browser at once: the legs that lose are
 * canceled, which says nothing about the call. An outbound call has one leg, the client's phone,
 * whose end is the call's outcome.
 */
function applyLegProgress(log: CallLog, direction: Direction, event: Extract<CallEvent, { kind: 'progress' }>): void {
  const party = event.party ?? null;
  if (event.status === 'in-progress') answer(log, party);
  if (event.status === 'completed' && (direction === 'outbound' || (log.answered_by !== null && log.answered_by === party))) {
    answer(log, party);
    if (event.durationS !== null && event.durationS !== undefined) log.duration_s = Math.max(log.duration_s ?? 0, event.durationS);
  }
  if (direction === 'outbound' && isFinalCallStatus(event.status) && event.status !== 'completed') {
    log.unanswered_outcome ??= event.status as UnansweredOutcome;
  }
}

const clock = (seconds: number): string => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

/** The line the timeline and the conversation list show for a call. */
export function callSummary(direction: Direction, log: CallLog): string {
  if (direction === 'inbound') {
    if (log.answered) return log.duration_s !== null ? `Incoming call · ${clock(log.duration_s)}` : 'Incoming call';
    if (!log.missed) return 'Incoming call';
    return log.voicemail_url ? `Missed call · voicemail ${clock(log.voicemail_duration_s ?? 0)}` : 'Missed call';
  }
  if (log.answered) return log.duration_s !== null ? `Outgoing call · ${clock(log.duration_s)}` : 'Outgoing call';
  return log.status === 'ringing' ? 'Outgoing call' : `Outgoing call · ${log.status.replace('-', ' ')}`;
}

/** Where an outbound call stands in the message status words every channel shares. */
export function deliveryStatusOfCall(status: CallStatus): MessageStatus {
  switch (status) {
    case 'ringing':
      return 'QUEUED';
    case 'in-progress':
      return 'SENT';
    case 'completed':
      return 'DELIVERED';
    case 'busy':
    case 'no-answer':
      return 'UNDELIVERED';
    case 'failed':
      return 'FAILED';
    case 'canceled':
      return 'CANCELED';
  }
}
