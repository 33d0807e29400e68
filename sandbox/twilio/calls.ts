import { calleePlanFor } from '../magic';
import type { Reply } from '../reply';
import type { Scheduler } from '../scheduler';
import type { SandboxLog, SandboxState } from '../state';
import { isHttpUrl } from '../validate';
import type { TwilioCredentials } from './auth';
import {
  callSnapshot,
  FINAL_CALL_STATUSES,
  newCallSid,
  toCallResource,
  type CallDirection,
  type CallScript,
  type CallStatus,
  type SandboxCall,
} from './call';
import { CALL_EVENTS, CallRun, eventSet, type CallRunOptions } from './call-run';
import { errors, twilioError } from './errors';
import { pageOf } from './page';

/** A phone calls one of the numbers bought here. */
export interface PlaceCall {
  from: string;
  to: string;
  /** Where the TwiML comes from; default the `to` number's VoiceUrl (an error if it has none). */
  url?: string;
  /** Where the completed callback goes; default the `to` number's StatusCallback. */
  statusCallback?: string;
  /** A CallSid to use again, to replay a call. */
  sid?: string;
  script?: CallScript;
}

/** A staff member's browser (Voice SDK identity) calls out through the TwiML app. */
export interface ClientCall {
  identity: string;
  to: string;
  /** The TwiML app's Voice URL. */
  url: string;
  statusCallback?: string;
  /** The custom parameters of Device.connect, posted with every request for the call. */
  params?: Record<string, string>;
  sid?: string;
  script?: CallScript;
}

export interface CallsDeps {
  creds: TwilioCredentials;
  state: SandboxState;
  scheduler: Scheduler;
  callbackDelayMs: number;
  /** The sandbox's base URL (recording URLs point at it); throws while it is not listening. */
  baseUrl: () => string;
  log: SandboxLog;
}

type RunSetup = Pick<CallRunOptions, 'statusCallback' | 'statusCallbackEvents' | 'customParams' | 'script'>;

const LIST_FILTERS = ['To', 'From', 'Status'] as const;

const callErrors = {
  toRequired: () => twilioError(400, 21201, "No 'To' number is specified"),
  fromRequired: () => twilioError(400, 21213, "No 'From' number is specified"),
  urlRequired: () => twilioError(400, 21205, 'Url parameter is required'),
  notInProgress: () => twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'),
};

/**
 * The Calls resource of the 2010-04-01 API (create, fetch, list, hang up) and the calls that
 * come in to the sandbox's numbers (placeCall, clientCall). Each call runs as a CallRun.
 */
export class TwilioCalls {
  /** Calls still running, by sid, so that a REST update can hang them up. */
  private readonly running = new Map<string, CallRun>();

  constructor(private readonly deps: CallsDeps) {}

  placeCall(call: PlaceCall): Promise<SandboxCall> {
    const number = this.deps.state.phoneNumbers.find((n) => n.phoneNumber === call.to && !n.released);
    const url = call.url ?? number?.voiceUrl;
    if (!url) return Promise.reject(new Error(`no VoiceUrl for ${call.to}: buy the number here with a VoiceUrl, or give url`));
    const stored = this.store({ sid: call.sid, from: call.from, to: call.to, direction: 'inbound', status: 'ringing' });
    const setup: RunSetup = {
      statusCallback: call.statusCallback ?? number?.statusCallback ?? null,
      statusCallbackEvents: new Set(['completed']),
      customParams: {},
      script: call.script ?? {},
    };
    return this.start(stored, setup, (run) => run.answerIncoming(url));
  }

  clientCall(call: ClientCall): Promise<SandboxCall> {
    const from = `client:${call.identity}`;
    const stored = this.store({ sid: call.sid, from, to: call.to, direction: 'inbound', status: 'ringing' });
    const setup: RunSetup = {
      statusCallback: call.statusCallback ?? null,
      statusCallbackEvents: new Set(['completed']),
      customParams: { ...call.params },
      script: call.script ?? {},
    };
    return this.start(stored, setup, (run) => run.answerIncoming(call.url));
  }

  /** POST .../Calls.json: 201 with the queued call, which then runs in the background. */
  create(form: URLSearchParams): Reply {
    const to = (form.get('To') ?? '').trim();
    const from = (form.get('From') ?? '').trim();
    const url = (form.get('Url') ?? '').trim();
    const twiml = form.get('Twiml') ?? '';
    const statusCallback = (form.get('StatusCallback') ?? '').trim();
    const asked = form.getAll('StatusCallbackEvent').join(' ').trim();
    const events = eventSet(asked || undefined, 'completed');

    if (!to) return { status: 400, body: callErrors.toRequired() };
    if (!from) return { status: 400, body: callErrors.fromRequired() };
    if (!url && twiml.trim() === '') return { status: 400, body: callErrors.urlRequired() };
    if (url && twiml.trim() !== '') return { status: 400, body: errors.invalidParameter('Twiml') };
    if (url && !isHttpUrl(url)) return { status: 400, body: errors.invalidUrl('Url', url) };
    if (statusCallback && !isHttpUrl(statusCallback)) return { status: 400, body: errors.invalidUrl('StatusCallback', statusCallback) };
    if (![...events].every((event) => (CALL_EVENTS as readonly string[]).includes(event))) {
      return { status: 400, body: errors.invalidParameter('StatusCallbackEvent') };
    }

    const call = this.store({ from, to, direction: 'outbound-api', status: 'queued' });
    // Rendered before the run starts, which moves the call on at once.
    const body = toCallResource(call);
    const setup: RunSetup = { statusCallback: statusCallback || null, statusCallbackEvents: events, customParams: {}, script: {} };
    const source = url ? { url } : { twiml };
    // Failures are logged by the scheduler; nobody waits for a REST-created call.
    this.start(call, setup, (run) => run.dialOut(source, calleePlanFor(to))).catch(() => undefined);
    return { status: 201, body };
  }

  fetch(sid: string, path: string): Reply {
    const call = this.deps.state.findCall(sid);
    if (!call) return { status: 404, body: errors.notFound(path) };
    return { status: 200, body: toCallResource(call) };
  }

  /** GET .../Calls.json: filters To, From, Status; newest first; paged like every Twilio list. */
  list(query: URLSearchParams, basePath: string): Reply {
    const filters = new URLSearchParams();
    for (const key of LIST_FILTERS) {
      const value = query.get(key);
      if (value !== null && value !== '') filters.set(key, value);
    }
    const to = filters.get('To');
    const from = filters.get('From');
    const status = filters.get('Status');
    const items = [...this.deps.state.calls]
      .reverse()
      .filter((c) => (to === null || c.to === to) && (from === null || c.from === from) && (status === null || c.status === status));
    return pageOf({ items, key: 'calls', render: toCallResource, query, basePath, filters });
  }

  /** POST .../Calls/{sid}.json with Status=completed|canceled: hangs up a call still running. */
  update(sid: string, form: URLSearchParams, path: string): Reply {
    const call = this.deps.state.findCall(sid);
    if (!call) return { status: 404, body: errors.notFound(path) };
    const status = form.get('Status');
    if (status !== 'completed' && status !== 'canceled') return { status: 400, body: errors.invalidParameter('Status') };
    const run = this.running.get(sid);
    if (!run || FINAL_CALL_STATUSES.includes(call.status)) return { status: 400, body: callErrors.notInProgress() };
    run.hangUp(status);
    return { status: 200, body: toCallResource(call) };
  }

  /** True when some call made the recording `sid`. */
  hasRecording(sid: string): boolean {
    return this.deps.state.calls.some((c) => c.recordings.some((r) => r.sid === sid));
  }

  private store(fields: { sid?: string; from: string; to: string; direction: CallDirection; status: CallStatus }): SandboxCall {
    const now = new Date();
    const call: SandboxCall = {
      sid: fields.sid ?? newCallSid(),
      accountSid: this.deps.creds.accountSid,
      from: fields.from,
      to: fields.to,
      direction: fields.direction,
      status: fields.status,
      duration: null,
      // An incoming call starts as it reaches Twilio; an outgoing one once it is initiated.
      startedAt: fields.direction === 'inbound' ? now : null,
      endedAt: null,
      dateCreated: now,
      dateUpdated: now,
      twiml: [],
      legs: [],
      recordings: [],
      webhooks: [],
    };
    this.deps.state.calls.push(call);
    this.deps.log({ event: 'call.created', sid: call.sid, from: call.from, to: call.to, direction: call.direction });
    return call;
  }

  /** Runs the call as a scheduler task (so reset/close cancel it); resolves with a copy once it ended. */
  private start(call: SandboxCall, setup: RunSetup, drive: (run: CallRun) => Promise<void>): Promise<SandboxCall> {
    const { creds, callbackDelayMs, log } = this.deps;
    return new Promise((resolve, reject) => {
      this.deps.scheduler.run(async (ctx) => {
        try {
          const run = new CallRun({ ...setup, creds, call, callbackDelayMs, baseUrl: this.deps.baseUrl(), log }, ctx);
          this.running.set(call.sid, run);
          await drive(run);
          resolve(callSnapshot(call));
        } catch (error) {
          reject(error as Error);
          throw error;
        } finally {
          this.running.delete(call.sid);
        }
      });
    });
  }
}
