import { condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CallEvent, CallLog } from '../db/call-log';
import type { StoredMessage } from '../db/inbound';
import type { CallStart, TextBack } from '../db/voice-calls';
import { callEventSignal, voiceCallStateQuery, type VoiceCallState } from './definitions';
import { DATABASE_RETRY } from './retry-policies';
import { startSmsSend } from './start-send';

type Activities = ReturnType<typeof createActivities>;

const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const temporal = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/** Longer than any call; one whose end never reaches us stays logged as it stood. */
const LONGEST_CALL_MS = 4 * 60 * 60 * 1000;
/** Twilio announces recordings after the call has ended; the log listens this long after the end. */
const LATE_NEWS_MS = 2 * 60 * 1000;

/**
 * One call, from Twilio's first webhook to its last (id `call-<CallSid>`): the call logged once in
 * the client's conversation, every status, dial outcome and recording taken in as it comes, and
 * for a missed inbound call the business's text-back, sent after its delay unless the two have
 * spoken by phone since.
 */
export async function voiceCall(start: CallStart): Promise<VoiceCallState> {
  const callSid = start.providerMessageId;
  const news: CallEvent[] = [];
  let stored: StoredMessage | null = null;
  let call: CallLog | null = null;
  let textBack: TextBack | null = null;
  setHandler(callEventSignal, (event) => void news.push(event));
  setHandler(voiceCallStateQuery, () => ({ stored, call, textBack }));

  stored = await db.openCallLog({ start });
  if (!stored) return { stored, call, textBack };
  if (stored.created) await temporal.notifyConversation({ stored, direction: start.direction, at: start.at });

  let textBackAt: number | null = null;
  for (;;) {
    const waitMs = textBackAt !== null ? Math.max(1, textBackAt - Date.now()) : call?.ended_at ? LATE_NEWS_MS : LONGEST_CALL_MS;
    if (await condition(() => news.length > 0, waitMs)) {
      const state = await db.recordCallEvents({ callSid, events: news.splice(0) });
      if (!state) break;
      call = state.call;
      if (call.ended_at && call.missed && textBack === null && textBackAt === null) {
        const delaySeconds = await db.missedCallTextBackDelay({ businessId: stored.businessId });
        if (delaySeconds === null) textBack = { skipped: 'off' };
        else textBackAt = Date.now() + delaySeconds * 1000;
      }
    } else if (textBackAt !== null) {
      textBackAt = null;
      textBack = await db.queueMissedCallTextBack({ callSid });
      if ('queued' in textBack && textBack.queued.status === 'PENDING') {
        await startSmsSend({ messageId: textBack.queued.messageId, businessId: stored.businessId, conversationId: stored.conversationId });
      }
    } else {
      break;
    }
  }
  return { stored, call, textBack };
}

