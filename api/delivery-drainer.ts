import type { Client as TemporalClient } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { applyKeptEvents, finalNewsUnheard, newsOfKeptEvents, stopAwaitingFinal, unappliedNewsLeftBehind, type PendingNews } from '../db/delivery-outbox';
import type { Message } from '../db/entities';
import { withPoolClient } from '../db/pg';
import { appliedDelivery, type AppliedDelivery } from '../workflows/definitions';
import { SIGNAL_CONCURRENCY, signalFinalNews } from './delivery-reports';

/**
 * Events passed on per round: one statement finds their news, four and a commit apply it (applyKeptEvents).
 * A round's work between statements runs on the event loop that answers the callbacks.
 */
const BATCH = 100;

/**
 * The pause between rounds while news keeps coming: each round is six statements and a commit
 * whatever its size, so under load a round takes what came during the pause instead of the one
 * or two events that came during the last round.
 */
const ROUND_GAP_MS = 20;

/** News applied here, to tell the workflow waiting on its message. */
type AppliedNews = PendingNews & { applied: AppliedDelivery };

export interface DeliveryDrainerOptions {
  /** How often to look for news nobody passed on. */
  sweepEveryMs?: number;
  /** How old unapplied news must be before the sweep takes it, not to race the process or path that kept it. */
  sweepAfterMs?: number;
}

/**
 * Passes on the delivery news this process kept (see db/delivery-outbox.ts) after the callback
 * was answered: all of it is applied here, many messages at a time; news that can end a send then
 * signals the workflow waiting on it with the message as it now is, and the workflow ends without
 * a database step of its own. Once that workflow has heard (or had ended), nobody waits on the
 * message any more. Nudges coalesce: one drain runs at a time and runs once more if nudged
 * meanwhile, taking all that was kept since. Signals run beside the drains, at most
 * SIGNAL_CONCURRENCY at once, so that a slow signal holds up no other news. A sweep on an
 * interval passes on news any process kept and left behind (it stopped first, or Temporal was
 * down), and final news a process applied but stopped before its workflow heard.
 */
export class DeliveryDrainer {
  /** Events kept by this process, not yet passed on. */
  private readonly pending = new Set<number>();
  /** Messages whose send workflow heard its final news, or had ended: no longer to be waited on. */
  private readonly heard = new Set<number>();
  private readonly toSignal: AppliedNews[] = [];
  /**
   * Messages with a signal queued or in flight, and the news to signal once it is done. One at a
   * time per workflow: signals that reach one workflow at once are refused as busy and retried
   * with backoffs of seconds.
   */
  private readonly signalling = new Map<number, AppliedNews | null>();
  private signalsInFlight = 0;
  private signalsDone: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private closed = false;
  private readonly sweepAfterMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: { temporal: TemporalClient; pool: Pool; logger: Pick<Logger, 'error'> },
    options: DeliveryDrainerOptions = {},
  ) {
    this.sweepAfterMs = options.sweepAfterMs ?? 10_000;
    this.sweeper = setInterval(() => void this.drain(true), options.sweepEveryMs ?? 1_000);
    this.sweeper.unref();
  }

  nudge(eventId: number): void {
    this.pending.add(eventId);
    void this.drain(false);
  }

  /** Stops sweeping and passes on what this process kept; what fails stays for another process's sweep. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.drain(false);
    while (this.signalsInFlight > 0 || this.toSignal.length > 0) {
      await new Promise<void>((resolve) => (this.signalsDone = resolve));
      await this.drain(false);
    }
  }

  /** Runs a drain, or asks the running one to run once more. */
  private drain(sweep: boolean): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.drainUntilQuiet(sweep).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drainUntilQuiet(sweep: boolean): Promise<void> {
    try {
      let sweepNow = sweep && !this.closed;
      do {
        this.rerun = false;
        await this.passOnPending();
        if (sweepNow) await this.sweep();
        sweepNow = false;
        if (this.rerun && !this.closed) await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
      } while (this.rerun);
    } catch (error) {
      // Left pending; the next nudge or sweep tries again.
      this.deps.logger.error({ err: error }, 'passing on delivery news failed');
    }
  }

  private async passOnPending(): Promise<void> {
    while (this.pending.size > 0 || this.heard.size > 0) {
      const eventIds = [...this.pending].slice(0, BATCH);
      for (const id of eventIds) this.pending.delete(id);
      try {
        await this.passOn(eventIds.length > 0 ? await newsOfKeptEvents(this.deps.pool, eventIds) : []);
      } catch (error) {
        for (const id of eventIds) this.pending.add(id);
        throw error;
      }
    }
  }

  /** One batch of each a sweep. */
  private async sweep(): Promise<void> {
    await this.passOn(await unappliedNewsLeftBehind(this.deps.pool, this.sweepAfterMs, BATCH));
    await this.passOn(await finalNewsUnheard(this.deps.pool, this.sweepAfterMs, BATCH));
  }

  private async passOn(news: PendingNews[]): Promise<void> {
    const heard = [...this.heard];
    this.heard.clear();
    let applied: Message[];
    try {
      applied = await withPoolClient(this.deps.pool, async (client) => {
        if (heard.length > 0) await stopAwaitingFinal(client, heard);
        return applyKeptEvents(client, news.map((n) => n.messageId));
      });
    } catch (error) {
      for (const id of heard) this.heard.add(id);
      throw error;
    }
    const messages = new Map(applied.map((m) => [m.id, m]));
    for (const n of news) {
      const message = messages.get(n.messageId);
      if (n.final && message) this.queueSignal({ ...n, applied: appliedDelivery(message) });
    }
    this.startSignals();
  }

  private queueSignal(news: AppliedNews): void {
    if (!this.signalling.has(news.messageId)) {
      this.signalling.set(news.messageId, null);
      this.toSignal.push(news);
      return;
    }
    const next = this.signalling.get(news.messageId);
    this.signalling.set(news.messageId, { ...news, eventIds: [...(next?.eventIds ?? []), ...news.eventIds] });
  }

  private startSignals(): void {
    while (this.signalsInFlight < SIGNAL_CONCURRENCY && this.toSignal.length > 0) {
      const news = this.toSignal.shift()!;
      this.signalsInFlight += 1;
      signalFinalNews(this.deps.temporal, news)
        .then(() => {
          this.heard.add(news.messageId);
          void this.drain(false);
        })
        .catch((error: unknown) => {
          this.deps.logger.error({ err: error }, 'signalling delivery news failed');
          // Tried again with the next round; once closing, left to a sweep.
          if (!this.closed) for (const id of news.eventIds) this.pending.add(id);
        })
        .finally(() => {
          this.signalsInFlight -= 1;
          const next = this.signalling.get(news.messageId);
          this.signalling.delete(news.messageId);
          if (next) this.queueSignal(next);
          this.startSignals();
          if (this.signalsInFlight === 0 && this.toSignal.length === 0) this.signalsDone?.();
        });
    }
  }
}
