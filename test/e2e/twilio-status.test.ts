import type { EntityManager } from '@mikro-orm/postgresql';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { Message, MessageStatusEvent } from '../../db/entities';
import { adoptWaitingEvents, applyDeliveryEvents, recordDeliveryReport } from '../../db/delivery';
import { MAGIC_TO_STUCK_SENT } from '../../sandbox/magic';
import { sendStatusQuery } from '../../workflows/definitions';
import { createTenant, type Tenant } from '../support/factories';
import { api, eventually, postAsTwilio } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let tenant: Tenant;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const STATUS_PATH = '/twilio/sms/status';

/** Posts a status callback the way Twilio does: form-encoded, signed for our public address. */
const callback = (params: Record<string, string>, options: { signature?: string; headers?: Record<string, string> } = {}) =>
  postAsTwilio(stack, STATUS_PATH, params, options);

const statusOf = (sid: string, word: string, extra: Record<string, string> = {}) => ({
  MessageSid: sid,
  SmsSid: sid,
  MessageStatus: word,
  SmsStatus: word,
  AccountSid: stack.config.twilio.accountSid,
  ApiVersion: '2010-04-01',
  ...extra,
});

async function sentMessage(requestId: string): Promise<Message> {
  const accepted = await api(stack.baseUrl, 'POST', '/sms/send', {
    body: { business_id: tenant.business.id, to: MAGIC_TO_STUCK_SENT, body: 'Hi', request_id: requestId },
  });
  const id = accepted.body.messages[0].message_id;
  return eventually(
    () => stack.orm.em.fork().findOneOrFail(Message, { id }),
    (m) => m.status === 'SENT',
  );
}

/** The message once the callbacks' drain has brought it to `status` (or as it is at the deadline). */
const messageAt = (id: number, status: Message['status']) => eventually(() => stack.orm.em.fork().findOneOrFail(Message, { id }), (m) => m.status === status);
const eventsOf = (messageId: number) => stack.orm.em.fork().find(MessageStatusEvent, { messageId }, { orderBy: { id: 'asc' } });
/** Events stored for one provider message id (other test files write events at the same time). */
const eventCount = (sid: string) => stack.orm.em.fork().count(MessageStatusEvent, { providerMessageId: sid });

/** The signals a workflow received, in order. */
async function signalsTo(workflowId: string): Promise<string[]> {
  const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName!] : []));
}

describe('POST /twilio/sms/status', () => {
  test('duplicated and out-of-order callbacks never move a status backwards, and every one is kept', async () => {
    const message = await sentMessage('order-1');
    const sid = message.providerMessageId!;

    for (const word of ['delivered', 'sent', 'delivered', 'queued', 'sent']) {
      expect((await callback(statusOf(sid, word))).status).toBe(204);
    }

    expect((await messageAt(message.id, 'DELIVERED')).status).toBe('DELIVERED');
    const handle = stack.env.client.workflow.getHandle(`message-${message.id}`);
    expect(await handle.result()).toMatchObject({ status: 'DELIVERED' });
    const answered = await handle.query(sendStatusQuery);
    expect(answered).toMatchObject({ messageId: message.id, status: 'DELIVERED' });
    expect(answered.waitingFor).toBeUndefined();
    await eventually(() => eventsOf(message.id), (events) => events.every((e) => e.appliedAt));
    const events = await eventsOf(message.id);
    expect(events.map((e) => e.rawStatus)).toEqual(['sent', 'delivered', 'sent', 'delivered', 'queued', 'sent']);
    expect((await stack.orm.em.fork().findOneOrFail(Message, { id: message.id })).status).toBe('DELIVERED');
  });

  test('every callback of several sends, replayed three times in a shuffled order and at once, leaves each at its true final status', async () => {
    const endings = [
      { words: ['queued', 'sent', 'delivered'], final: 'DELIVERED' },
      { words: ['queued', 'sent', 'undelivered'], final: 'UNDELIVERED', extra: { ErrorCode: '30003' } },
      { words: ['queued', 'sent', 'delivered', 'read'], final: 'READ' },
      { words: ['queued', 'failed'], final: 'FAILED', extra: { ErrorCode: '30008' } },
    ];
    const messages = await Promise.all(endings.map((_, i) => sentMessage(`replay-3x-${i}`)));
    const callbacks = messages.flatMap((m, i) => endings[i].words.map((word) => statusOf(m.providerMessageId!, word, word === endings[i].words.at(-1) ? endings[i].extra : {})));
    const replays = [...callbacks, ...callbacks, ...callbacks];
    // A fixed shuffle (Fisher–Yates with a seeded generator), so a failure can be replayed.
    let seed = 20261125;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = replays.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [replays[i], replays[j]] = [replays[j], replays[i]];
    }

    const answers = await Promise.all(replays.map((params) => callback(params)));
    expect(answers.every((a) => a.status === 204)).toBe(true);

    for (const [i, message] of messages.entries()) {
      const result = await stack.env.client.workflow.getHandle(`message-${message.id}`).result();
      expect(result.status).toBe(endings[i].final);
      const stored = await messageAt(message.id, endings[i].final as Message['status']);
      if (endings[i].extra) expect(stored.errorCode).toBe(endings[i].extra!.ErrorCode);
      // The first `sent` came from the sandbox; every replayed callback is kept as well.
      expect(await eventCount(message.providerMessageId!)).toBe(1 + 3 * endings[i].words.length);
    }
  });

  test('a status that cannot end the send is applied without waking the workflow; a final one wakes it and ends it', async () => {
    const message = await sentMessage('wake-1');
    const handle = stack.env.client.workflow.getHandle(`message-${message.id}`);

    expect((await callback(statusOf(message.providerMessageId!, 'sending'))).status).toBe(204);
    const stillSent = await stack.orm.em.fork().findOneOrFail(Message, { id: message.id });
    const afterSending = await signalsTo(handle.workflowId);
    expect((await callback(statusOf(message.providerMessageId!, 'delivered'))).status).toBe(204);

    expect(await handle.result()).toMatchObject({ status: 'DELIVERED' });
    expect(stillSent.status).toBe('SENT');
    expect(afterSending).toEqual([]);
    expect(await signalsTo(handle.workflowId)).toEqual(['deliveryStatus']);
    expect((await eventsOf(message.id)).map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([['sent', true], ['sending', true], ['delivered', true]]);
  });

  test('news for a message whose workflow has ended is applied directly', async () => {
    const message = await sentMessage('closed-1');
    const sid = message.providerMessageId!;
    await callback(statusOf(sid, 'delivered'));
    await stack.env.client.workflow.getHandle(`message-${message.id}`).result();

    expect((await callback(statusOf(sid, 'read'))).status).toBe(204);

    expect((await messageAt(message.id, 'READ')).status).toBe('READ');
  });

  test('a failure callback stores the provider error code', async () => {
    const message = await sentMessage('fail-1');

    await callback(statusOf(message.providerMessageId!, 'undelivered', { ErrorCode: '30005', ErrorMessage: 'Unknown destination handset' }));

    expect(await messageAt(message.id, 'UNDELIVERED')).toMatchObject({ status: 'UNDELIVERED', errorCode: '30005' });
  });

  test('a tampered signature is refused with 403 and nothing is stored', async () => {
    const message = await sentMessage('tamper-1');
    const before = await eventCount(message.providerMessageId!);
    const params = statusOf(message.providerMessageId!, 'delivered');
    const signedForOther = getExpectedTwilioSignature(stack.config.twilio.authToken, `${stack.config.publicBaseUrl}${STATUS_PATH}`, { ...params, MessageStatus: 'failed' });

    const tampered = await callback(params, { signature: signedForOther });
    const unsigned = await callback(params, { signature: '' });
    const wrongKey = await callback(params, { signature: getExpectedTwilioSignature('not-the-token', `${stack.config.publicBaseUrl}${STATUS_PATH}`, params) });

    expect([tampered.status, unsigned.status, wrongKey.status]).toEqual([403, 403, 403]);
    expect(tampered.body).toEqual({ detail: expect.any(String) });
    expect(await eventCount(message.providerMessageId!)).toBe(before);
    expect((await stack.orm.em.fork().findOneOrFail(Message, { id: message.id })).status).toBe('SENT');
  });

  test('a callback signed for another Twilio account is refused', async () => {
    const message = await sentMessage('account-1');
    const before = await eventCount(message.providerMessageId!);

    const response = await callback(statusOf(message.providerMessageId!, 'delivered', { AccountSid: 'AC' + 'f'.repeat(32) }));

    expect(response.status).toBe(403);
    expect(await eventCount(message.providerMessageId!)).toBe(before);
  });

  test('a callback Twilio repeats with the same idempotency token is stored once', async () => {
    const message = await sentMessage('idem-1');
    const headers = { 'I-Twilio-Idempotency-Token': `token-${message.id}` };

    await callback(statusOf(message.providerMessageId!, 'delivered'), { headers });
    await callback(statusOf(message.providerMessageId!, 'delivered'), { headers });

    const delivered = (await eventsOf(message.id)).filter((e) => e.rawStatus === 'delivered');
    expect(delivered).toHaveLength(1);
  });

  test('a callback for a message sid we do not know yet is kept, and applied once the send records that sid', async () => {
    const em = stack.orm.em.fork() as EntityManager;
    const sid = `SM${'a'.repeat(31)}1`;
    expect((await callback(statusOf(sid, 'delivered'))).status).toBe(204);
    const waiting = await em.findOneOrFail(MessageStatusEvent, { providerMessageId: sid });
    expect(waiting.messageId).toBeNull();

    const message = em.create(Message, { businessId: tenant.business.id, channel: 'sms', direction: 'outbound', toAddress: '+15550001111', fromAddress: tenant.location.phoneNumber });
    await em.flush();
    message.markAccepted(sid, new Date());
    await em.flush();
    expect(await adoptWaitingEvents(em, message, 'twilio')).toBe(1);
    const applied = await applyDeliveryEvents(stack.orm.em.fork() as EntityManager, message.id);

    expect(applied.status).toBe('DELIVERED');
  });

  test('a callback is answered once kept; news kept and never passed on (the process stopped) is applied by the sweep', async () => {
    const em = stack.orm.em.fork() as EntityManager;
    const message = em.create(Message, { businessId: tenant.business.id, channel: 'sms', direction: 'outbound', toAddress: '+15550003333', fromAddress: tenant.location.phoneNumber });
    await em.flush();
    message.markAccepted(`SM${'b'.repeat(31)}2`, new Date());
    await em.flush();
    // As a process that kept it and stopped before passing it on leaves it: unapplied, and older than the sweep waits for.
    await em.execute(
      `insert into message_status_events (message_id, provider, provider_message_id, status, raw_status, error_code, payload, occurred_at, received_at)
       values (?, 'twilio', ?, 'UNDELIVERED', 'undelivered', '30003', '{}', now() - interval '1 minute', now() - interval '1 minute')`,
      [message.id, message.providerMessageId],
    );

    const swept = await messageAt(message.id, 'UNDELIVERED');

    expect(swept).toMatchObject({ status: 'UNDELIVERED', errorCode: '30003' });
    expect((await eventsOf(message.id)).every((e) => e.appliedAt !== null)).toBe(true);
  });

  test('malformed callbacks are a 422, not a 500', async () => {
    const missingSid = await callback({ MessageStatus: 'sent' });
    const badSid = await callback({ MessageSid: 'nope', MessageStatus: 'sent' });

    expect(missingSid.status).toBe(422);
    expect(badSid.status).toBe(422);
    expect(badSid.body.detail[0].loc).toEqual(['body', 'MessageSid']);
  });
});

test('recordDeliveryReport keeps news with no status word as an event that changes nothing', async () => {
  const em = stack.orm.em.fork() as EntityManager;
  const { event } = await recordDeliveryReport(em, { provider: 'twilio', channel: 'sms', providerMessageId: 'SMunknown', rawStatus: 'receiving', status: null, payload: {} });
  expect(event).toMatchObject({ rawStatus: 'receiving', status: null });
});
