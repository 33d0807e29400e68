import type { EntityManager } from '@mikro-orm/postgresql';
import { resetForRetry, retryablePage, type RetryFilter } from '../db/retries';
import type { ActivityDeps } from './index';

export function createRetryActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  return {
    async retryablePage({ filter, afterId, pageSize }: { filter: RetryFilter; afterId: number; pageSize: number }): Promise<number[]> {
      return retryablePage(orm.em.fork() as EntityManager, filter, afterId, pageSize);
    },

    async resetForRetry({ messageId }: { messageId: number }): Promise<boolean> {
      return resetForRetry(orm.em.fork() as EntityManager, messageId);
    },
  };
}
