import { senderPlanFor } from '../magic';
import type { Reply } from '../reply';
import type { Scheduler, TaskContext } from '../scheduler';
import type { SandboxLog, SandboxState } from '../state';
import { sendgridError, sgErrors, type SendGridError } from './errors';
import { parseSenderFields } from './sender-fields';
import { toSenderResource, type SandboxVerifiedSender } from './sender';

export interface SendersDeps {
  state: SandboxState;
  scheduler: Scheduler;
  /** How long after creation a sender verifies (the sandbox clicks the e-mailed link for the user). */
  verifyDelayMs: number;
  log: SandboxLog;
}

/** First sender id; ids then count up and are not reused, even across reset(). */
const FIRST_SENDER_ID = 1_000_001;

function parseInteger(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  return /^\d+$/.test(value) ? Number(value) : 'invalid';
}

/** SendGrid's Sender Verification API (/v3/verified_senders): create, list, delete, plus verification. */
export class SendGridSenders {
  private nextId = FIRST_SENDER_ID;

  constructor(private readonly deps: SendersDeps) {}

  /** POST /v3/verified_senders: 201 with `verified: false`; verification follows after the delay. */
  create(body: unknown): Reply {
    const parsed = parseSenderFields(body);
    if (!parsed.ok) return { status: 400, body: { errors: parsed.errors } };
    const plan = senderPlanFor(parsed.domain);
    if (plan.kind === 'invalid') {
      return { status: 400, body: sendgridError('from_email', `the domain ${parsed.domain} does not accept sender verification e-mail`) };
    }

    const sender: SandboxVerifiedSender = {
      id: this.nextId++,
      ...parsed.fields,
      verified: false,
      locked: false,
      status: 'pending',
      createdAt: new Date(),
      verifiedAt: null,
      failedAt: null,
      deleted: false,
      deletedAt: null,
      request: JSON.parse(JSON.stringify(body)) as Record<string, unknown>,
    };
    this.deps.state.verifiedSenders.push(sender);
    this.deps.log({ event: 'sender.created', id: sender.id, fromEmail: sender.fromEmail });
    const verifies = plan.kind === 'verifies';
    this.deps.scheduler.run((ctx) => this.settle(sender, verifies, ctx));
    return { status: 201, body: toSenderResource(sender) };
  }

  /** GET /v3/verified_senders: `{ results }`, oldest first; query limit, lastSeenID (ids after it) and id. */
  list(query: URLSearchParams): Reply {
    const problems: SendGridError[] = [];
    const read = (name: string): number | undefined => {
      const value = parseInteger(query.get(name));
      if (value !== 'invalid') return value;
      problems.push({ field: name, message: `${name} must be a non-negative integer` });
      return undefined;
    };
    const limit = read('limit');
    const lastSeenId = read('lastSeenID');
    const id = read('id');
    if (problems.length > 0) return { status: 400, body: { errors: problems } };

    let items = this.deps.state.verifiedSenders.filter((s) => !s.deleted);
    if (id !== undefined) items = items.filter((s) => s.id === id);
    if (lastSeenId !== undefined) items = items.filter((s) => s.id > lastSeenId);
    if (limit !== undefined) items = items.slice(0, limit);
    return { status: 200, body: { results: items.map(toSenderResource) } };
  }

  /** DELETE /v3/verified_senders/{id}: 204; the sandbox keeps the sender, flagged deleted. */
  remove(idText: string): Reply {
    const id = parseInteger(idText);
    const sender = typeof id === 'number' ? this.deps.state.findVerifiedSender(id) : undefined;
    if (!sender) return { status: 404, body: sgErrors.notFound() };
    sender.deleted = true;
    sender.deletedAt = new Date();
    this.deps.log({ event: 'sender.deleted', id: sender.id });
    return { status: 204, body: null };
  }

  /** After the delay: verified, or (magic domain) failed for good. Deleted senders are left alone. */
  private async settle(sender: SandboxVerifiedSender, verifies: boolean, ctx: TaskContext): Promise<void> {
    if (!(await ctx.sleep(this.deps.verifyDelayMs)) || ctx.signal.aborted || sender.deleted) return;
    const now = new Date();
    if (verifies) {
      sender.verified = true;
      sender.status = 'verified';
      sender.verifiedAt = now;
    } else {
      sender.status = 'failed';
      sender.failedAt = now;
    }
    this.deps.log({ event: 'sender.verification', id: sender.id, status: sender.status });
  }
}
