import type { DeliveredEventBatch, EventWebhookSettings } from './sendgrid/event-webhook';
import type { SandboxMail } from './sendgrid/mail';
import type { SandboxVerifiedSender } from './sendgrid/sender';
import type { SandboxCall } from './twilio/call';
import type { DeliveredCallback } from './twilio/callbacks';
import type { SandboxMessage } from './twilio/message';
import type { SandboxPhoneNumber } from './twilio/phone-number';

/** Everything the sandbox remembers; cleared by reset(). */
export class SandboxState {
  readonly messages: SandboxMessage[] = [];
  readonly callbacks: DeliveredCallback[] = [];
  /** Purchased numbers, including released ones (flagged). */
  readonly phoneNumbers: SandboxPhoneNumber[] = [];
  /** SendGrid sender identities, including deleted ones (flagged). */
  readonly verifiedSenders: SandboxVerifiedSender[] = [];
  /** Mails accepted by /v3/mail/send. */
  readonly mails: SandboxMail[] = [];
  /** Every Event Webhook POST attempted, in order. */
  readonly eventBatches: DeliveredEventBatch[] = [];
  /** Voice calls, in creation order: REST-created, placed to a number, or from a browser client. */
  readonly calls: SandboxCall[] = [];

  /** Account-wide, as on SendGrid; a reset keeps it (it is configuration, not traffic). */
  constructor(readonly eventWebhook: EventWebhookSettings = { url: null, enabled: false }) {}

  findMessage(sid: string): SandboxMessage | undefined {
    return this.messages.find((m) => m.sid === sid);
  }

  findCall(sid: string): SandboxCall | undefined {
    return this.calls.find((c) => c.sid === sid);
  }

  /** A number still held (not released). */
  findPhoneNumber(sid: string): SandboxPhoneNumber | undefined {
    return this.phoneNumbers.find((n) => n.sid === sid && !n.released);
  }

  /** A sender not deleted. */
  findVerifiedSender(id: number): SandboxVerifiedSender | undefined {
    return this.verifiedSenders.find((s) => s.id === id && !s.deleted);
  }

  clear(): void {
    this.messages.length = 0;
    this.callbacks.length = 0;
    this.phoneNumbers.length = 0;
    this.verifiedSenders.length = 0;
    this.mails.length = 0;
    this.eventBatches.length = 0;
    this.calls.length = 0;
  }
}

export type SandboxLog = (line: Record<string, unknown>) => void;
