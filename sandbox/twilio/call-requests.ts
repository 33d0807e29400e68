import type { CallScript } from './call';
import type { ClientCall, PlaceCall } from './calls';

type Json = Record<string, unknown>;

const DIAL_OUTCOMES: readonly string[] = ['answer', 'no-answer', 'busy', 'failed', 'caller-hangs-up'];

export const PLACE_CALL_USAGE =
  'send JSON {"from": "+1555…", "to": "<a number bought here>", "url"?: "…", "status_callback"?: "…", "sid"?: "CA…", ' +
  '"script"?: {"dial"?: "answer|no-answer|busy|failed|caller-hangs-up", "answered_by"?: "…", "talk_seconds"?: 30, "voicemail_seconds"?: 0}}';
export const CLIENT_CALL_USAGE =
  'send JSON {"identity": "staff_1", "to": "…", "url": "<the TwiML app\'s Voice URL>", "status_callback"?: "…", ' +
  '"params"?: {"name": "value"}, "sid"?: "CA…", "script"?: {…as for /sandbox/calls/inbound}}';

/** A JSON body's field under its snake_case or camelCase name. */
function field(body: Json, snake: string, camel = snake): unknown {
  return body[snake] ?? body[camel];
}

function optionalString(body: Json, snake: string, camel?: string): string | undefined | false {
  const value = field(body, snake, camel);
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : false;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seconds(value: unknown): number | undefined | false {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : false;
}

function scriptOf(value: unknown): CallScript | undefined {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return undefined;
  const dial = field(value, 'dial');
  const answeredBy = optionalString(value, 'answered_by', 'answeredBy');
  const talkSeconds = seconds(field(value, 'talk_seconds', 'talkSeconds'));
  const voicemailSeconds = seconds(field(value, 'voicemail_seconds', 'voicemailSeconds'));
  if (dial !== undefined && !(typeof dial === 'string' && DIAL_OUTCOMES.includes(dial))) return undefined;
  if (answeredBy === false || talkSeconds === false || voicemailSeconds === false) return undefined;
  return {
    ...(dial !== undefined ? { dial: dial as CallScript['dial'] } : {}),
    ...(answeredBy !== undefined ? { answeredBy } : {}),
    ...(talkSeconds !== undefined ? { talkSeconds } : {}),
    ...(voicemailSeconds !== undefined ? { voicemailSeconds } : {}),
  };
}

/** POST /sandbox/calls/inbound's body as a PlaceCall; undefined when it is not one. */
export function placeCallOf(body: unknown): PlaceCall | undefined {
  if (!isObject(body) || typeof body.from !== 'string' || typeof body.to !== 'string') return undefined;
  const url = optionalString(body, 'url');
  const statusCallback = optionalString(body, 'status_callback', 'statusCallback');
  const sid = optionalString(body, 'sid');
  const script = scriptOf(body.script);
  if (url === false || statusCallback === false || sid === false || !script) return undefined;
  return { from: body.from, to: body.to, url, statusCallback, sid, script };
}

/** POST /sandbox/calls/client's body as a ClientCall; undefined when it is not one. */
export function clientCallOf(body: unknown): ClientCall | undefined {
  if (!isObject(body) || typeof body.identity !== 'string' || typeof body.to !== 'string' || typeof body.url !== 'string') {
    return undefined;
  }
  const statusCallback = optionalString(body, 'status_callback', 'statusCallback');
  const sid = optionalString(body, 'sid');
  const script = scriptOf(body.script);
  const params = body.params ?? {};
  if (statusCallback === false || sid === false || !script || !isObject(params)) return undefined;
  if (!Object.values(params).every((value) => typeof value === 'string')) return undefined;
  return { identity: body.identity, to: body.to, url: body.url, statusCallback, params: params as Record<string, string>, sid, script };
}
