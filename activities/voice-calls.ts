import type { EntityManager } from '@mikro-orm/postgresql';
import { callSummary, newCallLog, type CallEvent } from '../db/call-log';
import { storeProcessedMessage } from '../db/inbound';
import { missedCallTextBackDelay, queueMissedCallTextBack, recordCallEvents, type CallStart } from '../db/voice-calls';
import type { ActivityDeps } from './index';

export function createVoiceCallActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  const em = () => orm.em.fork() as EntityManager;
  return {
    /** The call's entry in the client's conversation (client and conversation found or opened), once per call. */
    async openCallLog({ start }: { start: CallStart }) {
      const call = start.call ?? newCallLog();
      return storeProcessedMessage(em(), { ...start, call, body: callSummary(start.direction, call) });
    },

    async recordCallEvents({ callSid, events }: { callSid: string; events: CallEvent[] }) {
      return recordCallEvents(em(), callSid, events);
    },

    async missedCallTextBackDelay({ businessId }: { businessId: number }) {
      return missedCallTextBackDelay(em(), businessId);
    },

    async queueMissedCallTextBack({ callSid }: { callSid: string }) {
      return queueMissedCallTextBack(em(), callSid);
    },
  };
}
