import type { Client as TemporalClient } from '@temporalio/client';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { adoptKeptEvent, keepDeliveryEvents, type KeptEvent, type KeptReport } from '../db/delivery-outbox';
import type { Orm } from '../db/orm';
import { DeliveryDrainer, type DeliveryDrainerOptions } from './delivery-drainer';
import { GroupCommit } from './group-commit';

/** Connections for keeping callbacks and passing them on; each is one short statement. */
const POOL_SIZE = 8;

/**
 * Callbacks kept per statement, and statements at once. Each commit waits for its WAL flush, and
 * one insert per callback had the inserts queue on that flush (PostgreSQL's WALWrite lock) at 500/s.
 */
const KEEP_BATCH = { maxBatch: 250, maxInFlight: 2 };

export interface DeliveryOutbox {
  /** Keeps a provider's news durably and has it passed on after the answer; null for a repeat of an event already kept. */
  keep(report: KeptReport): Promise<KeptEvent | null>;
  readonly drainer: DeliveryDrainer;
  /** Passes on what it kept, then lets go of its connections. */
  close(): Promise<void>;
}

/** The API process's delivery outbox: its own small `pg` pool on the ORM's database, and the drainer. */
export function startDeliveryOutbox(
  { orm, temporal, logger }: { orm: Orm; temporal: TemporalClient; logger: Pick<Logger, 'error'> },
  options: DeliveryDrainerOptions = {},
): DeliveryOutbox {
  const pool = new Pool({ connectionString: orm.config.get('clientUrl'), max: POOL_SIZE });
  // An idle connection the server dropped: the pool replaces it; without a listener it would end the process.
  pool.on('error', (error) => logger.error({ err: error }, 'delivery outbox connection lost'));
  const drainer = new DeliveryDrainer({ temporal, pool, logger }, options);
  const keeper = new GroupCommit((reports: KeptReport[]) => keepDeliveryEvents(pool, reports), KEEP_BATCH);
  return {
    drainer,
    async keep(report) {
      const kept = await keeper.add(report);
      const attached = kept && kept.messageId === null ? await adoptKeptEvent(pool, kept, report) : kept;
      if (attached?.messageId != null) drainer.nudge(attached.id);
      return attached;
    },
    async close() {
      await drainer.close();
      await pool.end();
    },
  };
}
