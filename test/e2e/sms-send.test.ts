import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, MessageStatusEvent } from '../../db/entities';
import { MAGIC_TO_INVALID, MAGIC_TO_STUCK_SENT, MAGIC_TO_UNDELIVERED } from '../../sandbox/magic';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let tenant: Tenant;

/** Sends with these bodies get the provider's answer only once we hold these callbacks for it. */
const answerHeldUntil = new Map<string, string[]>();

/** The raw status words we hold for a provider message id that no message has claimed yet. */
const waitingWords = async (sid: string) =>
  (await stack.orm.em.fork().find(MessageStatusEvent, { providerMessageId: sid, messageId: null })).map((e) => e.rawStatus);

beforeAll(async () => {
  stack = await startTestStack({
    beforeProviderAnswer: async ({ sid, body }) => {
      const words = answerHeldUntil.get(body);
      if (words) await eventually(() => waitingWords(sid), (held) => words.every((w) => held.includes(w)));
    },
  });
  tenant = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const send = (body: Record<string, unknown>) => api(stack.baseUrl, 'POST', '/sms/send', { body: { business_id: tenant.business.id, ...body } });
const byRequest = (requestId: string) => api(stack.baseUrl, 'GET', `/messages/request/${encodeURIComponent(requestId)}`);
const finalMessage = (requestId: string, accept: (m: any) => boolean) =>
  eventually(async () => (await byRequest(requestId)).body?.messages?.[0], (m) => m !== undefined && accept(m));
const providerSendsTo = (to: string) => stack.sandbox.messages().filter((m) => m.to === to);
const eventsOf = (messageId: number) => stack.orm.em.fork().find(MessageStatusEvent, { messageId }, { orderBy: { id: 'asc' } });
/** The delivery notices a send workflow was signalled, in order. */
async function signalsTo(workflowId: string): Promise<string[]> {
  const history = await stack.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName!] : []));
}

describe('POST /sms/send', () => {
  test('an SMS to a client goes out through the provider and comes back DELIVERED', async () => {
    const to = uniquePhone();
    const accepted = await send({ to, body: 'Your massage is tomorrow at 3pm', request_id: 'happy-1' });

    expect(accepted.status).toBe(202);
    expect(accepted.body.request_id).toBe('happy-1');
    expect(accepted.body.messages).toEqual([
      expect.objectContaining({ to, status: 'PENDING', workflow_id: `message-${accepted.body.messages[0].message_id}` }),
    ]);

    const message = await finalMessage('happy-1', (m) => m.status === 'DELIVERED');
    expect(message).toMatchObject({ status: 'DELIVERED', channel: 'sms', direction: 'outbound', from: tenant.location.phoneNumber, to, attempts: 1 });
    expect(message.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.sent_at).not.toBeNull();
    expect(message.delivered_at).not.toBeNull();
    expect(providerSendsTo(to)).toHaveLength(1);
  });

  test('the workflow carries its search attributes and answers the status query', async () => {
    const accepted = await send({ client_id: tenant.client.id, body: 'See you soon', request_id: 'attrs-1' });
    const { message_id: id, workflow_id: workflowId } = accepted.body.messages[0];
    await finalMessage('attrs-1', (m) => m.status === 'DELIVERED');

    const handle = stack.env.client.workflow.getHandle(workflowId);
    expect(await handle.result()).toMatchObject({ messageId: id, status: 'DELIVERED' });
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({
      BusinessId: [tenant.business.id],
      MessageId: [id],
      Channel: ['sms'],
      ConversationId: [accepted.body.messages[0].conversation_id],
    });
    expect(await handle.query('status')).toMatchObject({ messageId: id, status: 'DELIVERED' });
  });

  test('a phone number is normalised to E.164 and finds or creates the client with one open conversation', async () => {
    const first = await send({ to: '(415) 555-0199', body: 'Welcome!' });
    const second = await send({ to: '+1 415 555 0199', body: 'Welcome again!' });

    expect(first.body.messages[0].to).toBe('+14155550199');
    expect(second.body.messages[0].conversation_id).toBe(first.body.messages[0].conversation_id);
    const clients = await stack.orm.em.fork().find(Client, { businessId: tenant.business.id, phone: '+14155550199' });
    expect(clients).toHaveLength(1);
  });

  test('the same request_id sent ten times at once makes one message and one provider send', async () => {
    const to = uniquePhone();
    const results = await Promise.all(Array.from({ length: 10 }, () => send({ to, body: 'Only once', request_id: 'concurrent-1' })));

    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(new Set(results.map((r) => r.body.messages[0].message_id)).size).toBe(1);
    await finalMessage('concurrent-1', (m) => m.status === 'DELIVERED');
    expect(providerSendsTo(to)).toHaveLength(1);
  });

  test('repeating a finished request returns the original message with 200 and sends nothing', async () => {
    const to = uniquePhone();
    const first = await send({ to, body: 'Hello', request_id: 'repeat-1' });
    await finalMessage('repeat-1', (m) => m.status === 'DELIVERED');

    const again = await send({ to, body: 'Hello', request_id: 'repeat-1' });

    expect(again.status).toBe(200);
    expect(again.body.messages[0]).toMatchObject({ message_id: first.body.messages[0].message_id, status: 'DELIVERED' });
    expect(providerSendsTo(to)).toHaveLength(1);
  });

  test('the same request_id with a different body is a 409 and creates nothing', async () => {
    const to = uniquePhone();
    await send({ to, body: 'Original', request_id: 'conflict-1' });

    const conflicting = await send({ to, body: 'Changed', request_id: 'conflict-1' });

    expect(conflicting.status).toBe(409);
    expect(typeof conflicting.body.detail).toBe('string');
    expect((await byRequest('conflict-1')).body.messages).toHaveLength(1);
  });

  test('an invalid number is refused by the provider once and ends FAILED with its code 21211', async () => {
    await send({ to: MAGIC_TO_INVALID, body: 'Hi', request_id: 'invalid-1' });

    const message = await finalMessage('invalid-1', (m) => m.status === 'FAILED');

    expect(message).toMatchObject({ status: 'FAILED', error_code: '21211', provider_message_id: null, attempts: 1 });
    expect(message.error_message).toMatch(/not a valid phone number/);
  });

  test('a handset the provider cannot reach ends UNDELIVERED with 30003', async () => {
    await send({ to: MAGIC_TO_UNDELIVERED, body: 'Hi', request_id: 'undelivered-1' });

    const message = await finalMessage('undelivered-1', (m) => m.status === 'UNDELIVERED');

    expect(message).toMatchObject({ status: 'UNDELIVERED', error_code: '30003' });
    expect(message.sent_at).not.toBeNull();
  });

  test('a message whose callbacks stop after sent is SENT, applied without waking its workflow, which waits for the final word', async () => {
    const accepted = await send({ to: MAGIC_TO_STUCK_SENT, body: 'Hi', request_id: 'stuck-1' });
    const message = await finalMessage('stuck-1', (m) => m.status === 'SENT');
    const handle = stack.env.client.workflow.getHandle(accepted.body.messages[0].workflow_id);

    const state = await handle.query('status');

    expect(state).toMatchObject({ messageId: message.message_id, providerMessageId: message.provider_message_id, waitingFor: 'delivery' });
    expect(await signalsTo(handle.workflowId)).toEqual([]);
    expect((await eventsOf(message.message_id)).map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([['sent', true]]);
  });

  test('a `sent` that arrives before the send has stored the provider id waits, is adopted, and is applied by the workflow', async () => {
    const body = 'Held until sent has arrived';
    answerHeldUntil.set(body, ['sent']);
    const accepted = await send({ to: MAGIC_TO_STUCK_SENT, body, request_id: 'race-sent-1' });
    const handle = stack.env.client.workflow.getHandle(accepted.body.messages[0].workflow_id);

    const message = await finalMessage('race-sent-1', (m) => m.status === 'SENT');

    expect(message.status).toBe('SENT');
    expect((await eventsOf(message.message_id)).map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([['sent', true]]);
    expect(await handle.query('status')).toMatchObject({ status: 'SENT', waitingFor: 'delivery' });
    expect(await signalsTo(handle.workflowId)).toEqual([]);
  });

  test('a final status that arrives before the send has stored the provider id still ends the workflow DELIVERED', async () => {
    const body = 'Held until delivered has arrived';
    answerHeldUntil.set(body, ['sent', 'delivered']);
    const accepted = await send({ to: uniquePhone(), body, request_id: 'race-delivered-1' });
    const handle = stack.env.client.workflow.getHandle(accepted.body.messages[0].workflow_id);

    const result = await handle.result();

    expect(result.status).toBe('DELIVERED');
    expect(result.waitingFor).toBeUndefined();
    const events = await eventsOf(accepted.body.messages[0].message_id);
    expect(events.map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([['sent', true], ['delivered', true]]);
    expect((await byRequest('race-delivered-1')).body.messages[0].status).toBe('DELIVERED');
  });

  test('a bulk send makes one message per distinct recipient under one request id', async () => {
    const phones = [uniquePhone(), uniquePhone(), uniquePhone()];
    const accepted = await send({
      recipients: [{ to: phones[0] }, { to: phones[1] }, { to: phones[2] }, { to: phones[0] }, { client_id: tenant.client.id }],
      body: 'We are open on Sunday',
      request_id: 'bulk-1',
    });

    expect(accepted.status).toBe(202);
    expect(accepted.body.messages.map((m: { to: string }) => m.to).sort()).toEqual([...phones, tenant.client.phone].sort());
    const all = await eventually(
      async () => (await byRequest('bulk-1')).body.messages,
      (ms: { status: string }[]) => ms.every((m) => m.status === 'DELIVERED'),
    );
    expect(all).toHaveLength(4);
  });

  test('an opted-out client gets a CANCELED message with OPTED_OUT and no provider call', async () => {
    const em = stack.orm.em.fork();
    const phone = uniquePhone();
    const client = new Client({ businessId: tenant.business.id, phone });
    client.smsOptOut = true;
    await em.persistAndFlush(client);

    const accepted = await send({ client_id: client.id, body: 'Promo', request_id: 'optout-1' });

    expect(accepted.status).toBe(202);
    expect(accepted.body.messages[0]).toMatchObject({ status: 'CANCELED', error_code: 'OPTED_OUT', workflow_id: null });
    expect(providerSendsTo(phone)).toHaveLength(0);
  });

  test('status events are all kept, even those that changed nothing', async () => {
    const accepted = await send({ to: uniquePhone(), body: 'Events', request_id: 'events-1' });
    await finalMessage('events-1', (m) => m.status === 'DELIVERED');

    const events = await eventsOf(accepted.body.messages[0].message_id);

    expect(events.map((e) => e.rawStatus)).toEqual(['sent', 'delivered']);
    expect(events.every((e) => e.appliedAt !== null)).toBe(true);
  });
});

describe('POST /sms/status', () => {
  const status = (body: Record<string, unknown>, key?: string) => api(stack.baseUrl, 'POST', '/sms/status', { body, key });

  test('a final status from elsewhere ends the waiting send; a late SENT after it changes nothing but is kept', async () => {
    const accepted = await send({ to: MAGIC_TO_STUCK_SENT, body: 'Hi', request_id: 'api-status-1' });
    const message = await finalMessage('api-status-1', (m) => m.status === 'SENT');

    const delivered = await status({ provider_message_id: message.provider_message_id, status: 'delivered' });
    expect(delivered.status).toBe(202);
    expect(delivered.body).toMatchObject({ message_id: message.message_id, event_id: expect.any(Number) });
    const result = await stack.env.client.workflow.getHandle(accepted.body.messages[0].workflow_id).result();
    expect(result).toMatchObject({ status: 'DELIVERED' });

    const late = await status({ message_id: message.message_id, status: 'SENT' });
    expect(late.body).toMatchObject({ status: 'DELIVERED' });
    expect((await eventsOf(message.message_id)).map((e) => [e.provider, e.rawStatus])).toEqual([
      ['twilio', 'sent'],
      ['api', 'DELIVERED'],
      ['api', 'SENT'],
    ]);
  });

  test('refuses unknown or mismatched ids (404), other businesses\' messages (404), no id and unknown words (422)', async () => {
    const accepted = await send({ to: uniquePhone(), body: 'Hi', request_id: 'api-status-2' });
    const messageId = accepted.body.messages[0].message_id;
    expect((await status({ message_id: 999_999_999, status: 'DELIVERED' })).status).toBe(404);
    expect((await status({ provider_message_id: `SM${'0'.repeat(32)}`, status: 'DELIVERED' })).status).toBe(404);
    expect((await status({ status: 'DELIVERED' })).status).toBe(422);
    expect((await status({ message_id: messageId, provider_message_id: 'x', status: 'DELIVERED' })).status).toBe(404);
    expect((await status({ message_id: messageId, status: 'ARRIVED' })).status).toBe(422);

    const other = await createTenant(stack.orm.em.fork() as EntityManager);
    const key = await api(stack.baseUrl, 'POST', `/businesses/${other.business.id}/api-keys`, { body: { name: 'status' } });
    expect(key.status).toBe(201);
    expect((await status({ message_id: messageId, status: 'DELIVERED' }, key.body.api_key)).status).toBe(404);
    expect(await eventsOf(messageId)).not.toContainEqual(expect.objectContaining({ provider: 'api' }));
  });
});

describe('POST /sms/record', () => {
  const record = (body: Record<string, unknown>) => api(stack.baseUrl, 'POST', '/sms/record', { body: { business_id: tenant.business.id, ...body } });

  test('keeps an SMS sent elsewhere with its status, sends nothing, and a repeat of its request_id returns it', async () => {
    const to = uniquePhone();
    const body = { to, body: 'Sent from the front desk phone', status: 'delivered', request_id: `record-${to}`, sent_at: '2026-11-25T09:00:00Z' };
    const recorded = await record(body);
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ channel: 'sms', direction: 'outbound', status: 'DELIVERED', from: tenant.location.phoneNumber, to, sent_at: '2026-11-25T09:00:00.000Z', is_read: true });
    expect(providerSendsTo(to)).toEqual([]);

    const again = await record(body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(recorded.body.id);
    expect((await record({ ...body, body: 'Something else' })).status).toBe(409);
  });

  test('an inbound record counts unread in the client\'s conversation; the same provider id again is the same record', async () => {
    const recorded = await record({ client_id: tenant.client.id, direction: 'inbound', body: 'Called back, will come Friday', provider_message_id: `rec-${uniquePhone()}` });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ direction: 'inbound', status: 'RECEIVED', from: tenant.client.phone, to: tenant.location.phoneNumber, is_read: false });
    const conversation = await api(stack.baseUrl, 'POST', `/businesses/${tenant.business.id}/clients/${tenant.client.id}/conversations`);
    expect(conversation.body).toMatchObject({ id: recorded.body.conversation_id, last_message: { body: 'Called back, will come Friday', direction: 'inbound' } });
    expect(conversation.body.unread_count).toBeGreaterThanOrEqual(1);

    const again = await record({ client_id: tenant.client.id, direction: 'inbound', body: 'Called back, will come Friday', provider_message_id: recorded.body.provider_message_id });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(recorded.body.id);
  });

  test('refuses a client of another business (404), both client_id and to (422), and a number that is not the business\'s (422)', async () => {
    const other = await createTenant(stack.orm.em.fork() as EntityManager);
    expect((await record({ client_id: other.client.id, body: 'x' })).status).toBe(404);
    expect((await record({ client_id: tenant.client.id, to: uniquePhone(), body: 'x' })).status).toBe(422);
    const notOurs = await record({ to: uniquePhone(), from: uniquePhone(), body: 'x' });
    expect(notOurs.status).toBe(422);
    expect(notOurs.body.detail[0].loc).toEqual(['body', 'from']);
  });
});

describe('POST /messages/{message_id}/cancel', () => {
  test('a message waiting for send_at is canceled, its workflow ends without a provider call, and a repeat is a no-op', async () => {
    const to = uniquePhone();
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const accepted = await send({ to, body: 'See you next week', request_id: 'cancel-1', send_at: sendAt });
    const { message_id: id, workflow_id: workflowId } = accepted.body.messages[0];
    expect(accepted.body.messages[0].status).toBe('SCHEDULED');
    await eventually(() => stack.env.client.workflow.getHandle(workflowId).query('status'), (s: any) => s.waitingFor === 'send_at');

    const canceled = await api(stack.baseUrl, 'POST', `/messages/${id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ canceled: true, message: { status: 'CANCELED', error_code: 'CANCELED' } });
    expect(await stack.env.client.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'CANCELED' });
    expect(providerSendsTo(to)).toEqual([]);

    const again = await api(stack.baseUrl, 'POST', `/messages/${id}/cancel`);
    expect(again.body).toMatchObject({ canceled: false, message: { status: 'CANCELED' } });
  });

  test('a message already sent cannot be canceled (409), and another business\'s message is a 404', async () => {
    await send({ to: uniquePhone(), body: 'Now', request_id: 'cancel-2' });
    const sent = await finalMessage('cancel-2', (m) => m.status === 'DELIVERED');
    const refused = await api(stack.baseUrl, 'POST', `/messages/${sent.message_id}/cancel`);
    expect(refused.status).toBe(409);
    expect((await byRequest('cancel-2')).body.messages[0].status).toBe('DELIVERED');

    const other = await createTenant(stack.orm.em.fork() as EntityManager);
    const key = await api(stack.baseUrl, 'POST', `/businesses/${other.business.id}/api-keys`, { body: { name: 'cancel' } });
    expect((await api(stack.baseUrl, 'POST', `/messages/${sent.message_id}/cancel`, { key: key.body.api_key })).status).toBe(404);
  });
});

describe('quiet hours', () => {
  const clock = (minutes: number) => {
    const m = ((minutes % 1440) + 1440) % 1440;
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  };

  test('hold a standard SMS until they end, showing why, while a transactional one goes out', async () => {
    const quietTenant = await createTenant(stack.orm.em.fork() as EntityManager);
    const local = new Intl.DateTimeFormat('en-US', { timeZone: quietTenant.location.timezone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' }).formatToParts(new Date());
    const nowMinutes = Number(local.find((p) => p.type === 'hour')!.value) * 60 + Number(local.find((p) => p.type === 'minute')!.value);
    const settings = await api(stack.baseUrl, 'PATCH', `/businesses/${quietTenant.business.id}/settings`, {
      body: { quiet_hours: { start: clock(nowMinutes - 60), end: clock(nowMinutes + 60) } },
    });
    expect(settings.status).toBe(200);
    const sendFor = (body: Record<string, unknown>) => api(stack.baseUrl, 'POST', '/sms/send', { body: { business_id: quietTenant.business.id, ...body } });

    const held = await sendFor({ to: uniquePhone(), body: 'Our spring offers', request_id: `quiet-${quietTenant.business.id}` });
    const handle = stack.env.client.workflow.getHandle(held.body.messages[0].workflow_id);
    await eventually(() => handle.query('status'), (s: any) => s.waitingFor === 'quiet_hours');
    const [message] = (await byRequest(`quiet-${quietTenant.business.id}`)).body.messages;
    expect(message).toMatchObject({ status: 'PENDING', hold: { reason: 'quiet_hours' } });
    const until = Date.parse(message.hold.until);
    expect(until).toBeGreaterThan(Date.now() + 58 * 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 61 * 60_000);
    expect(providerSendsTo(message.to)).toEqual([]);

    const urgent = await sendFor({ to: uniquePhone(), body: 'Your appointment moved to 3pm', transactional: true, request_id: `quiet-tx-${quietTenant.business.id}` });
    expect(urgent.status).toBe(202);
    const sent = await eventually(async () => (await byRequest(`quiet-tx-${quietTenant.business.id}`)).body.messages[0], (m) => m.status === 'DELIVERED');
    expect(sent.hold).toBeNull();
  });
});

describe('POST /messages/retry', () => {
  test('each failed message gets a real new provider attempt of the same message, with progress and history', async () => {
    const requests = ['retry-invalid-1', 'retry-invalid-2', 'retry-undelivered'];
    await send({ to: MAGIC_TO_INVALID, body: 'One', request_id: requests[0] });
    await send({ to: MAGIC_TO_INVALID, body: 'Two', request_id: requests[1] });
    await send({ to: MAGIC_TO_UNDELIVERED, body: 'Three', request_id: requests[2] });
    const failed = await Promise.all(requests.map((r) => finalMessage(r, (m) => m.status === 'FAILED' || m.status === 'UNDELIVERED')));
    const ids = failed.map((m) => m.message_id);
    const firstSid = failed[2].provider_message_id;

    const started = await api(stack.baseUrl, 'POST', '/messages/retry', { body: { business_id: tenant.business.id, message_ids: ids } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ matched: 3, workflow_id: expect.stringMatching(new RegExp(`^retry-${tenant.business.id}-`)) });

    const progress = await eventually(
      async () => (await api(stack.baseUrl, 'GET', `/messages/retry/${started.body.workflow_id}`)).body,
      (p) => p.status === 'COMPLETED',
      30_000,
    );
    expect(progress).toMatchObject({ status: 'COMPLETED', matched: 3, retried: 3, succeeded: 1, failed: 2 });

    const after = await Promise.all(requests.map((r) => finalMessage(r, (m) => (m.status === 'FAILED' || m.status === 'UNDELIVERED') && m.attempts === 2)));
    expect(after.map((m) => m.message_id)).toEqual(ids);
    expect(after[2].provider_message_id).not.toBe(firstSid);
    expect(providerSendsTo(MAGIC_TO_UNDELIVERED).filter((m) => m.body === 'Three')).toHaveLength(2);
    const retryEvents = (await eventsOf(ids[2])).filter((e) => e.rawStatus === 'retry');
    expect(retryEvents).toEqual([expect.objectContaining({ providerMessageId: firstSid, errorCode: '30003' })]);
  });

  test('a retry of another business, or an id that is no retry, is a 404; a delivered message is not retried', async () => {
    await send({ to: uniquePhone(), body: 'Fine', request_id: 'retry-delivered' });
    const delivered = await finalMessage('retry-delivered', (m) => m.status === 'DELIVERED');
    const none = await api(stack.baseUrl, 'POST', '/messages/retry', { body: { business_id: tenant.business.id, message_ids: [delivered.message_id] } });
    expect(none.body.matched).toBe(0);

    const other = await createTenant(stack.orm.em.fork() as EntityManager);
    const key = await api(stack.baseUrl, 'POST', `/businesses/${other.business.id}/api-keys`, { body: { name: 'retry' } });
    expect((await api(stack.baseUrl, 'GET', `/messages/retry/${none.body.workflow_id}`, { key: key.body.api_key })).status).toBe(404);
    expect((await api(stack.baseUrl, 'GET', `/messages/retry/message-${delivered.message_id}`)).status).toBe(404);
    expect((await api(stack.baseUrl, 'GET', `/messages/retry/retry-${tenant.business.id}-nope`)).status).toBe(404);
  });
});
