import { formToRecord } from '../body';
import { planFor, SANDBOX_SERVICE_FROM, type StatusStep } from '../magic';
import type { Reply } from '../reply';
import type { Scheduler, TaskContext } from '../scheduler';
import type { SandboxLog, SandboxState } from '../state';
import { isHttpUrl } from '../validate';
import type { TwilioCredentials } from './auth';
import { postStatusCallback, statusCallbackParams, worthRetrying } from './callbacks';
import { errors } from './errors';
import { listMessages } from './list';
import { newMessageSid, toResource, type SandboxMessage } from './message';
import { countSegments } from './segments';

export type { Reply } from '../reply';

export interface MessagesDeps {
  creds: TwilioCredentials;
  state: SandboxState;
  scheduler: Scheduler;
  callbackDelayMs: number;
  log: SandboxLog;
}

const MAX_BODY_CHARS = 1600;


/** The Messages resource of the 2010-04-01 API: create, fetch, list, plus the status lifecycle. */
export class TwilioMessages {
  constructor(private readonly deps: MessagesDeps) {}

  create(accountSid: string, form: URLSearchParams): Reply {
    const to = (form.get('To') ?? '').trim();
    const from = (form.get('From') ?? '').trim();
    const messagingServiceSid = (form.get('MessagingServiceSid') ?? '').trim();
    const body = form.get('Body') ?? '';
    const mediaUrls = form.getAll('MediaUrl').filter((u) => u !== '');
    const statusCallback = (form.get('StatusCallback') ?? '').trim();

    if (!to) return { status: 400, body: errors.toRequired() };
    const plan = planFor(to);
    if (plan.kind === 'invalid-to') return { status: 400, body: errors.invalidTo(to) };
    if (plan.kind === 'unavailable') return { status: 503, body: errors.unavailable(), headers: { 'Retry-After': '1' } };
    if (!from && !messagingServiceSid) return { status: 400, body: errors.fromRequired() };
    if (!body && mediaUrls.length === 0) return { status: 400, body: errors.bodyRequired() };
    if (body.length > MAX_BODY_CHARS) return { status: 400, body: errors.bodyTooLong() };
    if (!mediaUrls.every(isHttpUrl)) return { status: 400, body: errors.invalidMediaUrl() };

    const now = new Date();
    const message: SandboxMessage = {
      sid: newMessageSid(),
      accountSid,
      to,
      from: from || null,
      messagingServiceSid: messagingServiceSid || null,
      body,
      mediaUrls,
      statusCallback: statusCallback || null,
      status: 'queued',
      errorCode: null,
      errorMessage: null,
      numSegments: countSegments(body),
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
      history: [{ status: 'queued', at: now, errorCode: null }],
      params: formToRecord(form),
    };
    this.deps.state.messages.push(message);
    this.deps.log({ event: 'message.created', sid: message.sid, to, status: message.status });
    this.deps.scheduler.run((ctx) => this.progress(message, plan.steps, ctx));
    return { status: 201, body: toResource(message) };
  }

  fetch(sid: string, path: string): Reply {
    const message = this.deps.state.findMessage(sid);
    if (!message) return { status: 404, body: errors.notFound(path) };
    return { status: 200, body: toResource(message) };
  }

  list(query: URLSearchParams, basePath: string): Reply {
    return listMessages(this.deps.state.messages, query, basePath);
  }

  /** Moves the message through its planned statuses, posting a status callback after each move. */
  private async progress(message: SandboxMessage, steps: StatusStep[], ctx: TaskContext): Promise<void> {
    for (const step of steps) {
      if (!(await ctx.sleep(this.deps.callbackDelayMs)) || ctx.signal.aborted) return;
      this.apply(message, step);
      if (message.statusCallback) await this.notify(message, message.statusCallback, ctx);
    }
  }

  private apply(message: SandboxMessage, step: StatusStep): void {
    const now = new Date();
    message.status = step.status;
    message.errorCode = step.errorCode ?? null;
    message.errorMessage = step.errorMessage ?? null;
    message.dateUpdated = now;
    if (step.status === 'sent') {
      message.dateSent = now;
      message.from ??= SANDBOX_SERVICE_FROM;
    }
    message.history.push({ status: step.status, at: now, errorCode: message.errorCode });
    this.deps.log({ event: 'message.status', sid: message.sid, status: step.status, errorCode: message.errorCode });
  }

  private async notify(message: SandboxMessage, url: string, ctx: TaskContext): Promise<void> {
    const params = statusCallbackParams(message);
    let idempotencyToken: string | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (attempt > 1 && !(await ctx.sleep(this.deps.callbackDelayMs))) return;
      const record = await postStatusCallback({
        url,
        params,
        authToken: this.deps.creds.authToken,
        idempotencyToken,
        attempt,
        messageSid: message.sid,
        cancel: ctx.signal,
      });
      if (!record) return;
      idempotencyToken = record.idempotencyToken;
      this.deps.state.callbacks.push(record);
      this.deps.log({
        event: 'callback',
        sid: message.sid,
        messageStatus: record.messageStatus,
        url,
        status: record.status,
        error: record.error,
        attempt,
      });
      if (!worthRetrying(record)) return;
    }
  }
}
