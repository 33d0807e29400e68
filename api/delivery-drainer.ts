import type { Client as TemporalClient } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { unappliedNewsLeftBehind, unappliedNewsOf, type PendingNews } from '../db/delivery-outbox';
import type { Orm } from '../db/orm';
import { passOnDeliveryNews } from './delivery-reports';

/** Events passed on per round: one statement finds their news, a few apply it. */
const BATCH = 500;

export interface DeliveryDrainerOptions {
  /** How often to look for news nobody passed on. */
  sweepEveryMs?: number;
  /** How old unapplied news must be before the sweep takes it, not to race the process or path that kept it. */
  sweepAfterMs?: number;
}

/**
 * Passes on the delivery news this process kept (see db/delivery-outbox.ts) after the callback
 * was answered: applied here, or signalled to the running send workflow when it can end the send,
 * as takeDeliveryReport does. Nudges coalesce: one drain runs at a time and runs once more if
 * nudged meanwhile, taking all that was kept since. A sweep on an interval passes on news any
 * process kept and left behind (it stopped first, or Temporal was down).
 */
export class DeliveryDrainer {
  /** Kept by this process, not yet passed on. */
  private readonly pending = new Set<number>();
  private running: Promise<void> | null = null;
  private rerun = false;
  private closed = false;
  private readonly sweepAfterMs: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly deps: { orm: Orm; temporal: TemporalClient; pool: Pool; logger: Pick<Logger, 'error'> },
    options: DeliveryDrainerOptions = {},
  ) {
    this.sweepAfterMs = options.sweepAfterMs ?? 10_000;
    this.sweeper = setInterval(() => this.drain(true), options.sweepEveryMs ?? 1_000);
    this.sweeper.unref();
  }

  nudge(eventId: number): void {
    this.pending.add(eventId);
    void this.drain(false);
  }

  /** Runs a drain, or asks the running one to run once more; resolves when that is done. */
  drain(sweep: boolean): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.drainUntilQuiet(sweep).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops sweeping and passes on what this process kept; what fails stays for another process's sweep. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.running;
    await this.drainUntilQuiet(false);
  }

  private async drainUntilQuiet(sweep: boolean): Promise<void> {
    try {
      do {
        this.rerun = false;
        await this.passOnPending();
      } while (this.rerun && !this.closed);
      if (sweep && !this.closed) await this.sweep();
    } catch (error) {
      // Left pending; the next nudge or sweep tries again.
      this.deps.logger.error({ err: error }, 'passing on delivery news failed');
    }
  }

  private async passOnPending(): Promise<void> {
    while (this.pending.size > 0) {
      const eventIds = [...this.pending].slice(0, BATCH);
      for (const id of eventIds) this.pending.delete(id);
      try {
        await this.passOn(await unappliedNewsOf(this.deps.pool, eventIds));
      } catch (error) {
        for (const id of eventIds) this.pending.add(id);
        throw error;
      }
    }
  }

  /** One batch a sweep: news signalled to a running workflow stays unapplied until that applies it. */
  private async sweep(): Promise<void> {
    await this.passOn(await unappliedNewsLeftBehind(this.deps.pool, this.sweepAfterMs, BATCH));
  }

  private async passOn(news: PendingNews[]): Promise<void> {
    if (news.length > 0) await passOnDeliveryNews(this.deps.orm.em.fork() as EntityManager, this.deps.temporal, news);
  }
}
