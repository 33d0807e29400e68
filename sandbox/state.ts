import type { DeliveredCallback } from './twilio/callbacks';
import type { SandboxMessage } from './twilio/message';

/** Everything the sandbox remembers; cleared by reset(). */
export class SandboxState {
  readonly messages: SandboxMessage[] = [];
  readonly callbacks: DeliveredCallback[] = [];

  findMessage(sid: string): SandboxMessage | undefined {
    return this.messages.find((m) => m.sid === sid);
  }

  clear(): void {
    this.messages.length = 0;
    this.callbacks.length = 0;
  }
}

export type SandboxLog = (line: Record<string, unknown>) => void;
