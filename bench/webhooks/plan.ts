/**
 * What a webhook-ingest phase posts: per message a `sent` and a final status (mostly `delivered`,
 * some `undelivered` and `failed`), some pairs out of order, some callbacks posted twice with the
 * same idempotency token (Twilio's retry after a slow or lost answer), in a fixed pseudo-random
 * order so that a run can be repeated.
 */
export interface SeededMessage {
  id: number;
  sid: string;
  /** Its send workflow is running and waiting for the final status (sent through POST /sms/send). */
  live: boolean;
}

export type Ending = 'delivered' | 'undelivered' | 'failed';

export interface PlannedCallback {
  messageId: number;
  sid: string;
  word: 'sent' | Ending;
  token: string;
  /** A second post of an earlier callback (same token). */
  duplicate: boolean;
  live: boolean;
}

export interface Mix {
  /** Share of messages whose final status arrives before their `sent`. */
  outOfOrder: number;
  /** Share of callbacks posted a second time, with the same idempotency token. */
  duplicates: number;
  undelivered: number;
  failed: number;
}

export const DEFAULT_MIX: Mix = { outOfOrder: 0.1, duplicates: 0.05, undelivered: 0.03, failed: 0.02 };

/** The status each message must end at. */
export const FINAL_STATUS: Record<Ending, string> = { delivered: 'DELIVERED', undelivered: 'UNDELIVERED', failed: 'FAILED' };

/** Deterministic generator (same as the e2e shuffle), so a plan can be replayed. */
function generator(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

export function endingOf(index: number, mix: Mix): Ending {
  const r = ((index * 2654435761) % 1000) / 1000;
  return r < mix.failed ? 'failed' : r < mix.failed + mix.undelivered ? 'undelivered' : 'delivered';
}

/**
 * A message's final status is posted `lag` callbacks after its `sent` (more than the concurrency,
 * so that most pairs arrive in order, as Twilio's seconds apart would), a duplicate `lag` after
 * its original.
 */
export function planCallbacks(messages: SeededMessage[], tag: string, mix: Mix, seed = 20261125, lag = 200): PlannedCallback[] {
  const random = generator(seed);
  const slots: PlannedCallback[][] = [];
  const put = (at: number, cb: PlannedCallback) => (slots[at] ??= []).push(cb);
  messages.forEach((m, i) => {
    const ending = endingOf(i, mix);
    const first: PlannedCallback = { messageId: m.id, sid: m.sid, word: 'sent', token: `${tag}-${m.id}-s`, duplicate: false, live: m.live };
    const second: PlannedCallback = { ...first, word: ending, token: `${tag}-${m.id}-f` };
    const [early, late] = random() < mix.outOfOrder ? [second, first] : [first, second];
    put(i, early);
    put(i + lag, late);
    for (const [cb, at] of [[early, i], [late, i + lag]] as const) {
      if (random() < mix.duplicates) put(at + lag, { ...cb, duplicate: true });
    }
  });
  return slots.flat();
}
