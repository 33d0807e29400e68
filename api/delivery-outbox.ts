import type { Client as TemporalClient } from '@temporalio/client';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { adoptKeptEvent, keepDeliveryEvent, type KeptEvent, type KeptReport } from '../db/delivery-outbox';
import type { Orm } from '../db/orm';
import { DeliveryDrainer, type DeliveryDrainerOptions } from './delivery-drainer';

/** Connections for keeping callbacks; each is one short statement. */
const POOL_SIZE = 8;

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
  return {
    drainer,
    async keep(report) {
      const kept = await keepDeliveryEvent(pool, report);
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
