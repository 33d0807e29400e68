import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, Conversation, Message } from '../../db/entities';
import type { InboundSms } from '../../sandbox/app';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let tenant: Tenant;
let em: () => EntityManager;

beforeAll(async () => {
  stack = await startTestStack();
  em = () => stack.orm.em.fork() as EntityManager;
  tenant = await createTenant(em());
});

afterAll(async () => {
  await stack?.close();
});

/** A client's phone texts the business's number: the sandbox posts Twilio's signed webhook to us. */
const text = (sms: Omit<InboundSms, 'to' | 'url'> & { to?: string }) =>
  stack.sandbox.inboundSms({ to: tenant.location.phoneNumber!, url: `${stack.baseUrl}/twilio/sms/incoming`, ...sms });

const inboundFrom = (from: string) => em().find(Message, { fromAddress: from, direction: 'inbound' }, { orderBy: { id: 'asc' } });
const clientByPhone = (phone: string) => em().findOne(Client, { businessId: tenant.business.id, phone });
const repliesTo = (phone: string) => stack.sandbox.messages().filter((m) => m.to === phone);

describe('POST /twilio/sms/incoming', () => {
  test('stores the text with its media, creates the client and conversation, counts it unread, and a replay changes nothing', async () => {
    const from = uniquePhone();
    const delivered = await text({ from, body: 'Hi! Can I book a massage for Saturday?', mediaUrls: ['https://example.com/a.jpg'] });
    expect(delivered.status).toBe(200);
    expect(delivered.responseBody).toContain('<Response></Response>');

    const [message] = await eventually(() => inboundFrom(from), (rows) => rows.length === 1);
    expect(message).toMatchObject({ status: 'RECEIVED', channel: 'sms', providerMessageId: delivered.sid, toAddress: tenant.location.phoneNumber, isRead: false });
    expect(message.mediaUrls).toEqual(['https://example.com/a.jpg']);
    const conversation = await em().findOneOrFail(Conversation, { id: message.conversationId! });
    expect(conversation).toMatchObject({ status: 'ACTIVE', unreadCount: 1, lastMessageDirection: 'inbound', locationId: tenant.location.id });
    expect((await clientByPhone(from))!.id).toBe(conversation.clientId);
    await eventually(
      () => stack.env.client.workflow.getHandle(`conversation-${conversation.id}`).describe().then((d) => d.status.name).catch(() => 'NONE'),
      (status) => status === 'RUNNING',
    );

    const replay = await text({ from, body: 'Hi! Can I book a massage for Saturday?', sid: delivered.sid });
    expect(replay.status).toBe(200);
    const processed = await stack.env.client.workflow.getHandle(`inbound-${delivered.sid}`).result();
    expect(processed.stored).toMatchObject({ messageId: message.id });
    expect(await inboundFrom(from)).toHaveLength(1);
    expect((await em().findOneOrFail(Conversation, { id: conversation.id })).unreadCount).toBe(1);
  });

  test('a text re-opens a resolved conversation', async () => {
    const from = uniquePhone();
    await text({ from, body: 'Thanks!' });
    const [first] = await eventually(() => inboundFrom(from), (rows) => rows.length === 1);
    const path = `/businesses/${tenant.business.id}/clients/${first.clientId}/conversations/${first.conversationId}`;
    expect((await api(stack.baseUrl, 'POST', `${path}/status?status=RESOLVED`)).status).toBe(200);

    await text({ from, body: 'Actually, one more question' });
    await eventually(() => em().findOneOrFail(Conversation, { id: first.conversationId! }), (c) => c.status === 'ACTIVE' && c.unreadCount === 2);
  });

  test('STOP opts the number out and is confirmed; a send after it is CANCELED without a provider call; START opts back in', async () => {
    const from = uniquePhone();
    await text({ from, body: '  Stop ' });
    await eventually(() => clientByPhone(from), (c) => c?.smsOptOut === true);
    const confirmation = await eventually(() => Promise.resolve(repliesTo(from)), (sent) => sent.length === 1);
    expect(confirmation[0].body).toMatch(/unsubscribed/i);
    const [ledger] = await em().execute(`select action, source, keyword from consent_events where business_id = ? and address = ?`, [tenant.business.id, from]);
    expect(ledger).toEqual({ action: 'opt_out', source: 'keyword', keyword: 'Stop' });

    const refused = await api(stack.baseUrl, 'POST', '/sms/send', { body: { business_id: tenant.business.id, to: from, body: 'Flash sale!', request_id: `after-stop-${from}` } });
    expect(refused.body.messages[0]).toMatchObject({ status: 'CANCELED', error_code: 'OPTED_OUT' });
    expect(repliesTo(from)).toHaveLength(1);

    await text({ from, body: 'START' });
    await eventually(() => clientByPhone(from), (c) => c?.smsOptOut === false);
    const resubscribed = await eventually(() => Promise.resolve(repliesTo(from)), (sent) => sent.length === 2);
    expect(resubscribed[1].body).toMatch(/resubscribed/i);
  });

  test('HELP is answered with the help text and changes no consent', async () => {
    const from = uniquePhone();
    await text({ from, body: 'help' });
    const [reply] = await eventually(() => Promise.resolve(repliesTo(from)), (sent) => sent.length === 1);
    expect(reply.body).toMatch(/Reply STOP to unsubscribe/);
    expect((await clientByPhone(from))!.smsOptOut).toBe(false);
  });

  test('a bad signature is a 403 and stores nothing; a text to a number no business has is acknowledged and stores nothing', async () => {
    const from = uniquePhone();
    const forged = await api(stack.baseUrl, 'POST', '/twilio/sms/incoming', {
      key: null,
      rawBody: new URLSearchParams({ MessageSid: `SM${'a'.repeat(32)}`, From: from, To: tenant.location.phoneNumber!, Body: 'hi' }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'forged' },
    });
    expect(forged.status).toBe(403);

    const stray = await text({ from, to: uniquePhone(), body: 'wrong number' });
    expect(stray.status).toBe(200);
    expect(await stack.env.client.workflow.getHandle(`inbound-${stray.sid}`).result()).toEqual({ stored: null, replyMessageId: null });
    expect(await inboundFrom(from)).toEqual([]);
    expect(await clientByPhone(from)).toBeNull();
  });
});

describe('POST /messages/process', () => {
  const processMessage = (body: Record<string, unknown>) => api(stack.baseUrl, 'POST', '/messages/process', { body: { business_id: tenant.business.id, ...body } });

  test('records an inbound SMS once per provider id: 201, then 200 with the same message', async () => {
    const from = uniquePhone();
    const body = { channel: 'sms', direction: 'inbound', from: from.replace('+1', '1 '), to: tenant.location.phoneNumber, body: 'Running late', provider_message_id: `ext-${from}` };
    const first = await processMessage(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true, reply_message_id: null, message: { direction: 'inbound', status: 'RECEIVED', from, is_read: false } });
    const again = await processMessage(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, message: { id: first.body.message.id } });
    expect(await inboundFrom(from)).toHaveLength(1);
  });

  test('records an email sent outside omega in the timeline, read, with the client found by address', async () => {
    const recorded = await processMessage({ channel: 'email', direction: 'outbound', from: 'Front@Studio.example', to: 'New.Client@Example.com', subject: 'Welcome', body: 'See you soon' });
    expect(recorded.status).toBe(201);
    expect(recorded.body.message).toMatchObject({ channel: 'email', direction: 'outbound', status: 'RECORDED', to: 'new.client@example.com', is_read: true });
    const client = await em().findOneOrFail(Client, { id: recorded.body.client_id });
    expect(client.email).toBe('new.client@example.com');
  });

  test('refuses what cannot be addressed (422) and a provider id another business holds (409)', async () => {
    const bad = await processMessage({ channel: 'sms', direction: 'inbound', from: 'not a phone', to: tenant.location.phoneNumber, body: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'from']);
    expect((await processMessage({ channel: 'email', direction: 'inbound', from: 'nobody', to: 'a@b.example' })).status).toBe(422);

    const other = await createTenant(em());
    const providerMessageId = `shared-${uniquePhone()}`;
    const theirs = await api(stack.baseUrl, 'POST', '/messages/process', {
      body: { business_id: other.business.id, channel: 'sms', direction: 'inbound', from: uniquePhone(), to: other.location.phoneNumber, body: 'private', provider_message_id: providerMessageId },
    });
    expect(theirs.status).toBe(201);
    const clash = await processMessage({ channel: 'sms', direction: 'inbound', from: uniquePhone(), to: tenant.location.phoneNumber, body: 'mine', provider_message_id: providerMessageId });
    expect(clash.status).toBe(409);
    expect(JSON.stringify(clash.body)).not.toContain('private');
  });
});
