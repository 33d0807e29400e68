import { z } from 'zod';
import { CALL_STATUSES, type CallEvent } from '../db/call-log';

const callSid = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be a Twilio call sid');
/** A phone number, `client:<identity>`, or a SIP address, as Twilio names a party. */
const party = z.string().min(1).max(256);
const seconds = z.string().regex(/^\d{1,7}$/, 'must be a whole number of seconds').transform(Number);
const recordingUrl = z.string().max(2048).regex(/^https?:\/\//, 'must be an http(s) URL');

/** Twilio's voice webhook: the first request for a call's TwiML, and the <Dial> and <Record> actions. */
export const voiceWebhook = z.object({
  CallSid: callSid,
  AccountSid: z.string().max(64).optional(),
  From: party,
  To: party.optional(),
  /** Passed by the staff browser's Device.connect: the location whose number to call from. */
  location_id: z.string().regex(/^\d{1,15}$/, 'must be a location id').transform(Number).optional(),
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']).optional(),
  DialCallDuration: seconds.optional(),
  RecordingUrl: recordingUrl.optional(),
  RecordingDuration: seconds.optional(),
});

/** A status callback of a call or of one of its dialled legs, or a recording's. */
export const callStatusCallback = z
  .object({
    CallSid: callSid,
    AccountSid: z.string().max(64).optional(),
    /** On a dialled leg's callbacks: the call it belongs to. */
    ParentCallSid: callSid.optional(),
    CallStatus: z.enum(['queued', 'initiated', ...CALL_STATUSES]).optional(),
    CallDuration: seconds.optional(),
    To: party.optional(),
    Timestamp: z.string().max(64).optional(),
    RecordingUrl: recordingUrl.optional(),
    RecordingStatus: z.string().max(32).optional(),
    RecordingSource: z.string().max(32).optional(),
    RecordingDuration: seconds.optional(),
  })
  .refine((c) => c.CallStatus !== undefined || c.RecordingStatus !== undefined, { message: 'needs CallStatus or RecordingStatus', path: ['CallStatus'] });

type CallStatusCallback = z.output<typeof callStatusCallback>;

/** Twilio's timestamp when it gives a readable one: replays then log the same times. */
function occurredAt(timestamp: string | undefined): string {
  const at = timestamp ? new Date(timestamp) : new Date();
  return Number.isNaN(at.getTime()) ? new Date().toISOString() : at.toISOString();
}

/** The call a callback is news of, and the news; null for news that changes nothing (a recording still in progress). */
export function callEventOf(callback: CallStatusCallback): { callSid: string; event: CallEvent } | null {
  const at = occurredAt(callback.Timestamp);
  if (callback.RecordingStatus !== undefined) {
    if (callback.RecordingStatus !== 'completed' || !callback.RecordingUrl) return null;
    const source = callback.RecordingSource === 'RecordVerb' ? 'voicemail' : 'call';
    return { callSid: callback.CallSid, event: { kind: 'recording', source, url: callback.RecordingUrl, durationS: callback.RecordingDuration ?? null, at } };
  }
  return {
    callSid: callback.ParentCallSid ?? callback.CallSid,
    event: {
      kind: 'progress',
      leg: callback.ParentCallSid ? 'dial' : 'call',
      status: callback.CallStatus!,
      party: callback.To ?? null,
      durationS: callback.CallDuration ?? null,
      at,
    },
  };
}
