import { randomBytes } from 'node:crypto';
import { MAGIC_SENDER_DOMAIN_UNVERIFIABLE, mailPlanFor, type MailEventStep } from '../magic';
import type { Reply } from '../reply';
import type { Scheduler, TaskContext } from '../scheduler';
import type { SandboxLog, SandboxState } from '../state';
import { emailDomain, inDomain } from '../validate';
import { sendgridError } from './errors';
import { newEventId, postEventBatch, worthRetrying, type EventSigner, type SendGridEvent } from './event-webhook';
import { parseMail, type MailAddress } from './mail-fields';

/** One recipient of an accepted mail, with the id its events carry. */
export interface SandboxMailRecipient extends MailAddress {
  sgMessageId: string;
  customArgs: Record<string, string>;
  subject: string;
}

/** A mail SendGrid accepted, as the sandbox keeps it (what tests assert on). */
export interface SandboxMail {
  /** The X-Message-Id answered to the send. */
  messageId: string;
  from: MailAddress;
  replyTo: MailAddress | null;
  recipients: SandboxMailRecipient[];
  text: string | null;
  html: string | null;
  categories: string[];
  createdAt: Date;
  /** Every event generated for it, in order, whether or not a webhook took it. */
  events: SendGridEvent[];
  /** The request's JSON body as received. */
  request: Record<string, unknown>;
}

export interface MailDeps {
  state: SandboxState;
  scheduler: Scheduler;
  signer: EventSigner;
  callbackDelayMs: number;
  log: SandboxLog;
}

/** SendGrid's X-Message-Id: 22 url-safe base64 characters. */
const newMessageId = () => randomBytes(16).toString('base64url').slice(0, 22);

export function mailSnapshot(mail: SandboxMail): SandboxMail {
  return { ...structuredClone(mail), createdAt: new Date(mail.createdAt) };
}

/** SendGrid's v3 Mail Send (POST /v3/mail/send) and the Event Webhook that follows each mail. */
export class SendGridMail {
  constructor(private readonly deps: MailDeps) {}

  /** 202 with X-Message-Id and no body; events follow, one signed batch per step. */
  send(body: unknown): Reply {
    const parsed = parseMail(body);
    if (!parsed.ok) return { status: 400, body: { errors: parsed.errors } };
    const { fields } = parsed;
    if (inDomain(emailDomain(fields.from.email), MAGIC_SENDER_DOMAIN_UNVERIFIABLE)) {
      return { status: 403, body: sendgridError('from', 'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.') };
    }

    const messageId = newMessageId();
    const filter = `filterdrecv-sandbox-${randomBytes(4).toString('hex')}`;
    let index = 0;
    const mail: SandboxMail = {
      messageId,
      from: fields.from,
      replyTo: fields.replyTo ?? null,
      recipients: fields.personalizations.flatMap((p) =>
        p.to.map((to) => ({
          ...to,
          sgMessageId: `${messageId}.${filter}-${index++}.0`,
          customArgs: { ...fields.customArgs, ...p.customArgs },
          subject: p.subject ?? fields.subject ?? '',
        })),
      ),
      text: fields.content.find((c) => c.type === 'text/plain')?.value ?? null,
      html: fields.content.find((c) => c.type === 'text/html')?.value ?? null,
      categories: fields.categories,
      createdAt: new Date(),
      events: [],
      request: JSON.parse(JSON.stringify(body)) as Record<string, unknown>,
    };
    this.deps.state.mails.push(mail);
    this.deps.log({ event: 'mail.accepted', messageId, recipients: mail.recipients.length });
    this.deps.scheduler.run((ctx) => this.progress(mail, ctx));
    // An empty string, not null: Koa would turn a null body into a 204.
    return { status: 202, body: '', headers: { 'X-Message-Id': messageId } };
  }

  /** Posts any events (the sandbox's own or a test's) as one signed batch to the configured webhook. */
  async postEvents(events: SendGridEvent[], cancel: AbortSignal): Promise<void> {
    const { url, enabled } = this.deps.state.eventWebhook;
    if (!url || !enabled || events.length === 0) return;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const record = await postEventBatch({ url, events, signer: this.deps.signer, attempt, cancel });
      if (!record) return;
      this.deps.state.eventBatches.push(record);
      this.deps.log({ event: 'event-webhook', url, events: events.length, status: record.status, error: record.error, attempt });
      if (!worthRetrying(record)) return;
      await new Promise((resolve) => setTimeout(resolve, this.deps.callbackDelayMs));
      if (cancel.aborted) return;
    }
  }

  /** Each step of every recipient's plan, one batch per step, like SendGrid's batching. */
  private async progress(mail: SandboxMail, ctx: TaskContext): Promise<void> {
    const plans = mail.recipients.map((r) => ({ recipient: r, steps: mailPlanFor(r.email) }));
    const rounds = Math.max(...plans.map((p) => p.steps.length));
    for (let round = 0; round < rounds; round++) {
      if (!(await ctx.sleep(this.deps.callbackDelayMs)) || ctx.signal.aborted) return;
      const events = plans.filter((p) => p.steps[round]).map((p) => eventOf(mail, p.recipient, p.steps[round]));
      mail.events.push(...events);
      await this.postEvents(events, ctx.signal);
    }
  }
}

function eventOf(mail: SandboxMail, recipient: SandboxMailRecipient, step: MailEventStep): SendGridEvent {
  return {
    ...recipient.customArgs,
    email: recipient.email,
    timestamp: Math.floor(Date.now() / 1000),
    event: step.event,
    sg_event_id: newEventId(),
    sg_message_id: recipient.sgMessageId,
    'smtp-id': `<${mail.messageId}@ismtpd-sandbox.sendgrid.net>`,
    ...(mail.categories.length > 0 && { category: mail.categories.length === 1 ? mail.categories[0] : mail.categories }),
    ...step.fields,
  };
}
