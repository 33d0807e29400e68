import { setTimeout as wait } from 'node:timers/promises';
import type { CalleePlan } from '../magic';
import type { TaskContext } from '../scheduler';
import type { SandboxLog } from '../state';
import { isHttpUrl } from '../validate';
import type { TwilioCredentials } from './auth';
import {
  FINAL_CALL_STATUSES,
  newCallSid,
  newRecordingSid,
  recordingPath,
  type CallLeg,
  type CallRecording,
  type CallScript,
  type CallStatus,
  type CallWebhook,
  type SandboxCall,
} from './call';
import { API_VERSION, rfc2822 } from './message';
import { postSignedForm, twilioSignature } from './signature';
import { parseTwiml, type TwimlElement } from './twiml';

export const WEBHOOK_TIMEOUT_MS = 15_000;
const DEFAULT_TALK_SECONDS = 30;
const DEFAULT_MAX_RECORD_SECONDS = 3600;

/** The call-progress events a statusCallbackEvent / StatusCallbackEvent can ask for. */
export type CallEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const CALL_EVENTS: readonly CallEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

/** Space-separated event names as a set; `fallback` when the attribute is absent. */
export function eventSet(value: string | undefined, fallback: string): Set<string> {
  return new Set((value ?? fallback).split(/\s+/).filter((name) => name !== ''));
}

export interface CallRunOptions {
  creds: TwilioCredentials;
  call: SandboxCall;
  script: CallScript;
  statusCallback: string | null;
  /** The parent call's events posted to statusCallback. */
  statusCallbackEvents: ReadonlySet<string>;
  /** Posted with every request for the parent call (the custom parameters of Device.connect). */
  customParams: Record<string, string>;
  callbackDelayMs: number;
  /** The sandbox's base URL, which recording URLs point at. */
  baseUrl: string;
  log: SandboxLog;
}

/** Where the call goes next: a URL to fetch TwiML from, with what to post beyond the call's own parameters. */
interface Transfer {
  url: string;
  params: Record<string, string>;
}

interface TwimlDocument {
  url: string;
  verbs: TwimlElement[];
}

/** After a verb: on to the next verb, the call is over, or continue in another document. */
type Step = 'next' | 'end' | Transfer;

/** A <Client> or <Number> of a <Dial> being rung. */
interface RungLeg {
  leg: CallLeg;
  noun: TwimlElement;
  from: string;
  events: Set<string>;
  sequence: number;
}

/** Raised inside a run when the call must stop at once: the sandbox was reset or closed, or a REST update hung up. */
class Interrupted extends Error {}

/** Twilio's progress fields, on every status callback. */
function progressParams(sequence: number): Record<string, string> {
  return { Timestamp: rfc2822(new Date()), SequenceNumber: String(sequence), CallbackSource: 'call-progress-events' };
}

/** CallDuration in seconds and Duration in whole minutes, rounded up (what Twilio bills). */
function durationParams(seconds: number): Record<string, string> {
  return { CallDuration: String(seconds), Duration: String(Math.ceil(seconds / 60)) };
}

/** An attribute's URL made absolute against the document's; absolute URLs stay byte for byte (they are signed). */
function resolveUrl(href: string, documentUrl: string): string {
  if (isHttpUrl(href) || !isHttpUrl(documentUrl)) return href;
  return new URL(href, documentUrl).toString();
}

function nonNegative(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

/** POSTs a signed form the way Twilio's webhooks do. Never throws, except when `signal` fired. */
async function postSigned(authToken: string, url: string, params: Record<string, string>, signal: AbortSignal): Promise<CallWebhook> {
  try {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]);
    const response = await postSignedForm(url, params, twilioSignature(authToken, url, params), timeout);
    return { url, params, status: response.status, responseBody: await response.text() };
  } catch (error) {
    if (signal.aborted) throw new Interrupted();
    return { url, params, status: 'error', responseBody: String(error) };
  }
}

/**
 * One call on the sandbox's phone network, from its first request to its completed callback:
 * fetches TwiML and plays it out (Say, Play, Pause, Hangup, Reject, Redirect, Dial, Record),
 * the far ends behaving as the CallScript says, posting every webhook Twilio would.
 */
export class CallRun {
  private answered = false;
  private answeredSeconds = 0;
  /** The final status if nothing ever answers: the last Dial's outcome, `busy` after Reject. */
  private unansweredStatus: CallStatus = 'completed';
  /** SequenceNumber of the parent's next status callback. */
  private sequence = 0;
  private readonly hangup = new AbortController();
  /** Fires on a sandbox reset/close or a REST hangup. */
  private readonly signal: AbortSignal;

  constructor(
    private readonly options: CallRunOptions,
    private readonly ctx: TaskContext,
  ) {
    this.signal = AbortSignal.any([ctx.signal, this.hangup.signal]);
  }

  private get call(): SandboxCall {
    return this.options.call;
  }

  /** An incoming call (to a number, or from a browser): fetches the TwiML at `url` while it rings. */
  async answerIncoming(url: string): Promise<void> {
    await this.toTheEnd(() => this.play({ url, params: {} }));
  }

  /** A REST-created call: initiated, ringing, then the callee answers (or does what `callee` says), then the TwiML. */
  async dialOut(source: { url: string } | { twiml: string }, callee: CalleePlan): Promise<void> {
    await this.toTheEnd(async () => {
      this.call.startedAt = new Date();
      this.setStatus('initiated');
      await this.notifyParent('initiated');
      // A failed call (say, an unreachable number) never rings.
      if (callee !== 'failed') {
        this.setStatus('ringing');
        await this.notifyParent('ringing');
      }
      if (callee !== 'answer') {
        this.unansweredStatus = callee;
        return;
      }
      this.answer();
      await this.notifyParent('answered');
      if ('url' in source) return this.play({ url: source.url, params: {} });
      const document = this.read(source.twiml, '');
      if (document) await this.play(document);
    });
  }

  /** A REST update's hangup: the call ends now with `status`; the run then posts its completed callback. */
  hangUp(status: 'completed' | 'canceled'): void {
    this.end(status);
    this.hangup.abort();
  }

  private async toTheEnd(body: () => Promise<void>): Promise<void> {
    try {
      await body();
      this.end(this.answered ? 'completed' : this.unansweredStatus);
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      if (this.ctx.signal.aborted) {
        this.end('canceled');
        return;
      }
    }
    try {
      await this.notifyParent('completed', this.ctx.signal);
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
    }
  }

  /** Plays documents until the call ends: each verb in turn, following Redirects and actions. */
  private async play(first: Transfer | TwimlDocument): Promise<void> {
    let next: Transfer | TwimlDocument | undefined = first;
    while (next) {
      const document: TwimlDocument | undefined = 'verbs' in next ? next : await this.fetchTwiml(next);
      if (!document) return;
      next = await this.execute(document);
    }
  }

  private async execute(document: TwimlDocument): Promise<Transfer | undefined> {
    for (const verb of document.verbs) {
      const step = await this.perform(verb, document.url);
      if (step === 'end') return undefined;
      if (step !== 'next') return step;
    }
    return undefined;
  }

  private async perform(verb: TwimlElement, documentUrl: string): Promise<Step> {
    switch (verb.name) {
      case 'Dial':
        return this.dial(verb, documentUrl);
      case 'Reject':
        if (!this.answered) this.unansweredStatus = 'busy';
        return 'end';
      case 'Redirect':
        return { url: resolveUrl(verb.text, documentUrl), params: {} };
      case 'Record':
        this.answer();
        return this.record(verb, documentUrl);
      case 'Hangup':
        this.answer();
        return 'end';
      default:
        // Say, Play, Pause (and verbs the sandbox does not act on, e.g. Gather): media, so the call is answered.
        this.answer();
        return 'next';
    }
  }

  private async dial(verb: TwimlElement, documentUrl: string): Promise<Step> {
    const { script } = this.options;
    const from = verb.attributes.callerId || this.call.from;
    const nouns = verb.children.filter((noun) => noun.name === 'Client' || noun.name === 'Number');
    if (nouns.length === 0 && verb.text !== '') nouns.push({ name: 'Number', attributes: {}, text: verb.text, children: [] });
    const legs = nouns.map((noun) => this.ring(noun, from));

    for (const leg of legs) await this.notifyLeg(leg, 'initiated', 'initiated', documentUrl);
    for (const leg of legs) await this.notifyLeg(leg, 'ringing', 'ringing', documentUrl);

    const mode = script.dial ?? 'no-answer';
    if (mode === 'caller-hangs-up') {
      for (const leg of legs) await this.notifyLeg(leg, 'completed', 'canceled', documentUrl);
      if (!this.answered) this.unansweredStatus = 'canceled';
      return 'end';
    }

    const answering = mode === 'answer' ? (legs.find((leg) => leg.noun.text === script.answeredBy) ?? legs[0]) : undefined;
    const talkSeconds = answering ? (script.talkSeconds ?? DEFAULT_TALK_SECONDS) : 0;
    // A Dial with nothing to ring fails, whatever the script says.
    const dialStatus = answering ? 'completed' : mode === 'answer' ? 'failed' : mode;
    const recordingParams: Record<string, string> = {};
    if (answering) {
      await this.notifyLeg(answering, 'answered', 'in-progress', documentUrl);
      for (const leg of legs) if (leg !== answering) await this.notifyLeg(leg, 'completed', 'canceled', documentUrl);
      this.answer();
      this.answeredSeconds += talkSeconds;
      await this.notifyLeg(answering, 'completed', 'completed', documentUrl, talkSeconds);
      const record = verb.attributes.record;
      if (record !== undefined && record !== 'do-not-record') {
        const recording = this.newRecording('DialVerb', talkSeconds);
        Object.assign(recordingParams, {
          RecordingUrl: recording.url,
          RecordingSid: recording.sid,
          RecordingDuration: String(recording.duration),
        });
        await this.notifyRecording(verb, recording, documentUrl);
      }
    } else {
      for (const leg of legs) await this.notifyLeg(leg, 'completed', dialStatus, documentUrl);
      if (!this.answered) this.unansweredStatus = dialStatus;
    }

    const action = verb.attributes.action;
    if (!action) return 'next';
    const dialCallSid = (answering ?? legs[0])?.leg.sid;
    return {
      url: resolveUrl(action, documentUrl),
      params: {
        DialCallStatus: dialStatus,
        ...(dialCallSid ? { DialCallSid: dialCallSid } : {}),
        DialCallDuration: String(talkSeconds),
        ...recordingParams,
      },
    };
  }

  private ring(noun: TwimlElement, from: string): RungLeg {
    const leg: CallLeg = {
      sid: newCallSid(),
      to: noun.name === 'Client' ? `client:${noun.text}` : noun.text,
      status: 'queued',
      duration: null,
    };
    this.call.legs.push(leg);
    return { leg, noun, from, events: eventSet(noun.attributes.statusCallbackEvent, 'completed'), sequence: 0 };
  }

  /** Moves a leg to `status`, and posts `event` to its noun's statusCallback when the noun asked for it. */
  private async notifyLeg(rung: RungLeg, event: string, status: CallStatus, documentUrl: string, talkSeconds = 0): Promise<void> {
    rung.leg.status = status;
    if (event === 'completed') rung.leg.duration = talkSeconds;
    const callback = rung.noun.attributes.statusCallback;
    if (!callback || !rung.events.has(event)) return;
    const params: Record<string, string> = {
      AccountSid: this.call.accountSid,
      ApiVersion: API_VERSION,
      CallSid: rung.leg.sid,
      ParentCallSid: this.call.sid,
      CallStatus: status,
      Direction: 'outbound-dial',
      From: rung.from,
      To: rung.leg.to,
      Caller: rung.from,
      Called: rung.leg.to,
      ...progressParams(rung.sequence++),
      ...(event === 'completed' ? durationParams(talkSeconds) : {}),
    };
    await this.post(resolveUrl(callback, documentUrl), params);
  }

  private async record(verb: TwimlElement, documentUrl: string): Promise<Step> {
    const spokenSeconds = this.options.script.voicemailSeconds ?? 0;
    // The caller hangs up at the beep: no recording, no action.
    if (spokenSeconds <= 0) return 'end';
    const duration = Math.min(spokenSeconds, nonNegative(verb.attributes.maxLength, DEFAULT_MAX_RECORD_SECONDS));
    this.answeredSeconds += duration;
    const recording = this.newRecording('RecordVerb', duration);
    const action = verb.attributes.action;
    if (action) {
      await this.play({
        url: resolveUrl(action, documentUrl),
        params: {
          RecordingUrl: recording.url,
          RecordingSid: recording.sid,
          RecordingDuration: String(recording.duration),
          Digits: 'hangup',
        },
      });
    }
    await this.notifyRecording(verb, recording, documentUrl);
    // Digits=hangup: the caller hung up to end the message, so nothing after <Record> plays.
    return 'end';
  }

  private newRecording(source: CallRecording['source'], duration: number): CallRecording {
    const sid = newRecordingSid();
    const recording: CallRecording = { sid, url: this.options.baseUrl + recordingPath(this.call.accountSid, sid), duration, source };
    this.call.recordings.push(recording);
    return recording;
  }

  private async notifyRecording(verb: TwimlElement, recording: CallRecording, documentUrl: string): Promise<void> {
    const callback = verb.attributes.recordingStatusCallback;
    if (!callback || !eventSet(verb.attributes.recordingStatusCallbackEvent, 'completed').has('completed')) return;
    await this.post(resolveUrl(callback, documentUrl), {
      AccountSid: this.call.accountSid,
      CallSid: this.call.sid,
      RecordingSid: recording.sid,
      RecordingUrl: recording.url,
      RecordingStatus: 'completed',
      RecordingDuration: String(recording.duration),
      RecordingChannels: '1',
      RecordingSource: recording.source,
      RecordingStartTime: rfc2822(new Date()),
      ErrorCode: '0',
    });
  }

  private parentParams(): Record<string, string> {
    const call = this.call;
    return {
      ...this.options.customParams,
      AccountSid: call.accountSid,
      ApiVersion: API_VERSION,
      CallSid: call.sid,
      From: call.from,
      To: call.to,
      Caller: call.from,
      Called: call.to,
      Direction: call.direction,
      CallStatus: call.status,
    };
  }

  /** Posts the parent's `event` to its StatusCallback when it was asked for. */
  private async notifyParent(event: string, signal = this.signal): Promise<void> {
    const { statusCallback, statusCallbackEvents } = this.options;
    if (!statusCallback || !statusCallbackEvents.has(event)) return;
    const params = {
      ...this.parentParams(),
      ...progressParams(this.sequence++),
      ...(event === 'completed' ? durationParams(this.call.duration ?? 0) : {}),
    };
    await this.post(statusCallback, params, signal);
  }

  private async fetchTwiml(transfer: Transfer): Promise<TwimlDocument | undefined> {
    const answer = await this.post(transfer.url, { ...this.parentParams(), ...transfer.params });
    if (answer.status === 'error' || answer.status < 200 || answer.status >= 300) {
      this.fail(11200, 'HTTP retrieval failure');
      return undefined;
    }
    return this.read(answer.responseBody, transfer.url);
  }

  private read(xml: string, url: string): TwimlDocument | undefined {
    this.call.twiml.push(xml);
    const verbs = parseTwiml(xml);
    if (!verbs) {
      this.fail(12100, 'Document parse failure');
      return undefined;
    }
    return { url, verbs };
  }

  /** Waits the step delay, then posts and records one request for this call. */
  private async post(url: string, params: Record<string, string>, signal = this.signal): Promise<CallWebhook> {
    const slept = await wait(this.options.callbackDelayMs, true, { signal }).catch(() => false);
    if (!slept) throw new Interrupted();
    const webhook = await postSigned(this.options.creds.authToken, url, params, signal);
    if (signal.aborted) throw new Interrupted();
    this.call.webhooks.push(webhook);
    this.options.log({ event: 'call.webhook', sid: this.call.sid, url, status: webhook.status });
    return webhook;
  }

  private setStatus(status: CallStatus): void {
    if (FINAL_CALL_STATUSES.includes(this.call.status)) return;
    this.call.status = status;
    this.call.dateUpdated = new Date();
    this.options.log({ event: 'call.status', sid: this.call.sid, status });
  }

  private answer(): void {
    if (this.answered) return;
    this.answered = true;
    this.setStatus('in-progress');
  }

  private fail(code: number, message: string): void {
    this.call.error = { code, message };
    this.end('failed');
  }

  /** The call is over (the first end counts): final status, end time and answered seconds. */
  private end(status: CallStatus): void {
    if (FINAL_CALL_STATUSES.includes(this.call.status)) return;
    this.call.endedAt = new Date();
    this.call.duration = this.answered ? this.answeredSeconds : 0;
    this.setStatus(status);
  }
}
