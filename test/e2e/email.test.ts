import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Message, MessageStatusEvent } from '../../db/entities';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { MAGIC_EMAIL_BOUNCE, MAGIC_EMAIL_DROPPED } from '../../sandbox/magic';
import { EventSigner, SIGNATURE_HEADER, TIMESTAMP_HEADER, type SendGridEvent } from '../../sandbox/sendgrid/event-webhook';
import type { SandboxMail } from '../../sandbox/app';
import { createTenant, type Tenant } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let tenant: Tenant;
const SENDER = 'front-desk@studio.example.com';

beforeAll(async () => {
  stack = await startTestStack();
  const em = stack.orm.em.fork() as EntityManager;
  tenant = await createTenant(em);
  await em.nativeUpdate(Business, { id: tenant.business.id }, { emailFromAddress: SENDER, emailFromName: 'Studio Front Desk' });
});

afterAll(async () => {
  await stack?.close();
});

const uniqueEmail = (name = 'client') => `${name}-${randomUUID().slice(0, 8)}@example.com`;
const send = (body: Record<string, unknown>, businessId = tenant.business.id) =>
  api(stack.baseUrl, 'POST', '/email/send', { body: { business_id: businessId, subject: 'Your visit', text: 'See you tomorrow at 3pm.', ...body } });
const byRequest = async (requestId: string) => (await api(stack.baseUrl, 'GET', `/messages/request/${encodeURIComponent(requestId)}`)).body.messages;
const settled = (requestId: string, accept: (m: any) => boolean) =>
  eventually(async () => (await byRequest(requestId))?.[0], (m) => m !== undefined && accept(m));
const mailsTo = (email: string) => stack.sandbox.mails().filter((m) => m.recipients.some((r) => r.email === email));
const eventsOf = (messageId: number) => stack.orm.em.fork().find(MessageStatusEvent, { messageId }, { orderBy: { id: 'asc' } });
const mailOf = (providerMessageId: string): SandboxMail => stack.sandbox.mails().find((m) => m.messageId === providerMessageId)!;
const otherSigner = new EventSigner(
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
);

/** Posts raw bytes to the webhook with the given signature headers. */
function postWebhook(payload: string, headers: Record<string, string>) {
  return api(stack.baseUrl, 'POST', '/email/webhook', { key: null, rawBody: payload, headers: { 'Content-Type': 'application/json', ...headers } });
}
function signed(payload: string, signer = new EventSigner(SANDBOX_DEFAULTS.sendgridEventWebhookPrivateKey), timestamp = String(Math.floor(Date.now() / 1000))) {
  return { [SIGNATURE_HEADER]: signer.sign(timestamp, payload), [TIMESTAMP_HEADER]: timestamp };
}
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe('POST /email/send', () => {
  test('an email goes out through SendGrid from the business sender, and its signed events bring it to DELIVERED', async () => {
    const to = uniqueEmail();
    const accepted = await send({ to, html: '<p>See you tomorrow</p>', reply_to: 'Owner@Studio.example.com', request_id: 'email-happy-1' });

    expect(accepted.status).toBe(202);
    expect(accepted.body.messages).toEqual([expect.objectContaining({ to, status: 'PENDING', workflow_id: `message-${accepted.body.messages[0].message_id}` })]);
    const message = await settled('email-happy-1', (m) => m.status === 'DELIVERED');
    expect(message).toMatchObject({ channel: 'email', status: 'DELIVERED', from: SENDER, to, subject: 'Your visit', text: 'See you tomorrow at 3pm.', attempts: 1 });
    expect(message.delivered_at).not.toBeNull();

    const [mail] = mailsTo(to);
    expect(mailsTo(to)).toHaveLength(1);
    expect(mail.messageId).toBe(message.provider_message_id);
    expect(mail).toMatchObject({
      from: { email: SENDER, name: 'Studio Front Desk' },
      replyTo: { email: 'owner@studio.example.com' },
      text: 'See you tomorrow at 3pm.',
      html: '<p>See you tomorrow</p>',
    });
    expect(mail.recipients[0]).toMatchObject({ email: to, subject: 'Your visit', customArgs: { omega_message_id: String(message.message_id) } });
    const events = await eventsOf(message.message_id);
    expect(events.map((e) => [e.provider, e.rawStatus, e.status, e.appliedAt !== null])).toEqual([
      ['sendgrid', 'processed', 'QUEUED', true],
      ['sendgrid', 'delivered', 'DELIVERED', true],
    ]);
    expect(events.map((e) => e.providerEventId)).toEqual(mail.events.map((e) => e.sg_event_id));
    expect(await stack.env.client.workflow.getHandle(accepted.body.messages[0].workflow_id).result()).toMatchObject({ status: 'DELIVERED' });
  });

  test('a bounce ends FAILED with the reason and status SendGrid gave', async () => {
    await send({ to: MAGIC_EMAIL_BOUNCE, request_id: 'email-bounce-1' });

    const message = await settled('email-bounce-1', (m) => m.status === 'FAILED');

    expect(message).toMatchObject({ status: 'FAILED', error_code: '5.1.1' });
    expect(message.error_message).toMatch(/does not exist/);
    expect(message.provider_message_id).not.toBeNull();
  });

  test('a dropped email ends FAILED with the drop reason', async () => {
    await send({ to: MAGIC_EMAIL_DROPPED, request_id: 'email-dropped-1' });

    const message = await settled('email-dropped-1', (m) => m.status === 'FAILED');

    expect(message).toMatchObject({ status: 'FAILED', error_code: 'dropped', error_message: 'Bounced Address' });
  });

  test('a repeated request returns the original message with 200 and sends nothing again; a changed body is a 409', async () => {
    const to = uniqueEmail();
    const first = await send({ to, request_id: 'email-repeat-1' });
    await settled('email-repeat-1', (m) => m.status === 'DELIVERED');

    const again = await send({ to, request_id: 'email-repeat-1' });
    const changed = await send({ to, subject: 'Another subject', request_id: 'email-repeat-1' });

    expect(again.status).toBe(200);
    expect(again.body.messages[0]).toMatchObject({ message_id: first.body.messages[0].message_id, status: 'DELIVERED' });
    expect(changed.status).toBe(409);
    expect(mailsTo(to)).toHaveLength(1);
    expect(await byRequest('email-repeat-1')).toHaveLength(1);
  });

  test('a client who opted out of email gets a CANCELED message with OPTED_OUT and no mail', async () => {
    const em = stack.orm.em.fork();
    const email = uniqueEmail('opted-out');
    const client = new Client({ businessId: tenant.business.id, email });
    client.emailOptOut = true;
    await em.persistAndFlush(client);

    const accepted = await send({ client_id: client.id, request_id: 'email-optout-1' });

    expect(accepted.status).toBe(202);
    expect(accepted.body.messages[0]).toMatchObject({ status: 'CANCELED', error_code: 'OPTED_OUT', workflow_id: null });
    expect(mailsTo(email)).toHaveLength(0);
  });

  test('a from that is not the business sender is a 422; a business without a sender is a 409; neither sends', async () => {
    const to = uniqueEmail();
    const other = await createTenant(stack.orm.em.fork() as EntityManager);

    const wrongFrom = await send({ to, from: 'someone@elsewhere.example.com' });
    const noSender = await send({ to }, other.business.id);

    expect(wrongFrom.status).toBe(422);
    expect(wrongFrom.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'from'] })]);
    expect(noSender.status).toBe(409);
    expect(mailsTo(to)).toHaveLength(0);
  });

  test('a bulk send makes one email per distinct address, each DELIVERED', async () => {
    const addresses = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    const accepted = await send({ recipients: [...addresses.map((to) => ({ to })), { to: addresses[0].toUpperCase() }], request_id: 'email-bulk-1' });

    expect(accepted.body.messages.map((m: { to: string }) => m.to).sort()).toEqual([...addresses].sort());
    const all = await eventually(() => byRequest('email-bulk-1'), (ms: { status: string }[]) => ms.every((m) => m.status === 'DELIVERED'));
    expect(all.map((m: { status: string }) => m.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
  });
});

describe('POST /email/webhook', () => {
  /** Sends an email to a fresh address and waits until it is delivered. */
  async function deliveredEmail(requestId: string, to = uniqueEmail()): Promise<{ message: any; mail: SandboxMail }> {
    await send({ to, request_id: requestId });
    const message = await settled(requestId, (m) => m.status === 'DELIVERED');
    return { message, mail: mailOf(message.provider_message_id) };
  }
  const laterEvent = (mail: SandboxMail, event: string, extra: Record<string, unknown> = {}): SendGridEvent => ({
    ...mail.events[0],
    event,
    sg_event_id: randomUUID(),
    timestamp: Math.floor(Date.now() / 1000) + 1,
    ...extra,
  });

  test('an unsubscribe opts the client out of email and is recorded as consent; its replay changes nothing', async () => {
    const { message, mail } = await deliveredEmail('email-unsub-1');
    const unsubscribe = laterEvent(mail, 'unsubscribe');

    const batch = await stack.sandbox.postSendGridEvents([unsubscribe]);
    const replay = await stack.sandbox.postSendGridEvents([unsubscribe]);

    expect([batch?.status, replay?.status]).toEqual([200, 200]);
    const client = await stack.orm.em.fork().findOneOrFail(Client, { id: message.client_id });
    expect(client.emailOptOut).toBe(true);
    const consent = await stack.orm.em.getConnection().execute('select channel, address, action, source, message_id from consent_events where client_id = ?', [client.id]);
    expect(consent).toEqual([{ channel: 'email', address: client.email, action: 'opt_out', source: 'unsubscribe', message_id: String(message.message_id) }]);
    expect((await settled('email-unsub-1', () => true)).status).toBe('DELIVERED');
  });

  test('a spam report opts the client out of email with source spam_report', async () => {
    const { message, mail } = await deliveredEmail('email-spam-1');

    await stack.sandbox.postSendGridEvents([laterEvent(mail, 'spamreport')]);

    const client = await stack.orm.em.fork().findOneOrFail(Client, { id: message.client_id });
    expect(client.emailOptOut).toBe(true);
    const consent = await stack.orm.em.getConnection().execute('select source from consent_events where client_id = ?', [client.id]);
    expect(consent).toEqual([{ source: 'spam_report' }]);
  });

  test('an open after delivered makes the email READ; a late processed after it changes nothing', async () => {
    const { message, mail } = await deliveredEmail('email-open-1');

    await stack.sandbox.postSendGridEvents([laterEvent(mail, 'open')]);
    await stack.sandbox.postSendGridEvents([laterEvent(mail, 'processed', { timestamp: Math.floor(Date.now() / 1000) + 5 })]);

    const now = await settled('email-open-1', (m) => m.status === 'READ');
    expect(now.status).toBe('READ');
    expect((await eventsOf(message.message_id)).map((e) => e.rawStatus)).toEqual(['processed', 'delivered', 'open', 'processed']);
  });

  test('every event of a batch replayed three times in shuffled order gives the same final states and one row per sg_event_id', async () => {
    const delivered = await deliveredEmail('email-replay-1');
    await send({ to: MAGIC_EMAIL_BOUNCE, request_id: 'email-replay-2' });
    const bounced = await settled('email-replay-2', (m) => m.status === 'FAILED');
    const events = [...delivered.mail.events, ...mailOf(bounced.provider_message_id).events, laterEvent(delivered.mail, 'open'), laterEvent(delivered.mail, 'click')];

    for (let round = 0; round < 3; round++) {
      const batch = await stack.sandbox.postSendGridEvents(shuffled(events));
      expect(batch?.status).toBe(200);
    }

    expect((await settled('email-replay-1', () => true)).status).toBe('READ');
    expect(await settled('email-replay-2', () => true)).toMatchObject({ status: 'FAILED', error_code: '5.1.1' });
    const rows = await stack.orm.em.fork().find(MessageStatusEvent, { provider: 'sendgrid', providerEventId: { $in: events.map((e) => e.sg_event_id) } });
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((r) => r.providerEventId)).size).toBe(events.length);
  });

  test('an event without our custom arg is matched by the X-Message-Id its sg_message_id starts with', async () => {
    const { message, mail } = await deliveredEmail('email-prefix-1');
    const { omega_message_id: _ours, ...open } = laterEvent(mail, 'open');

    await stack.sandbox.postSendGridEvents([open as SendGridEvent]);

    expect((await settled('email-prefix-1', (m) => m.status === 'READ')).status).toBe('READ');
    expect((await eventsOf(message.message_id)).map((e) => e.rawStatus)).toContain('open');
  });

  describe('refuses, storing nothing,', () => {
    const probe = () => ({ ...laterEventOfNothing(), sg_event_id: `refused-${randomUUID()}` });
    const laterEventOfNothing = (): SendGridEvent => ({ email: 'x@example.com', timestamp: 1, event: 'delivered', sg_event_id: '', sg_message_id: 'none.filter.0' });
    const storedCount = (ids: string[]) => stack.orm.em.fork().count(MessageStatusEvent, { providerEventId: { $in: ids } });

    test('a batch with one byte changed after signing (403)', async () => {
      const event = probe();
      const payload = JSON.stringify([event]);
      const headers = signed(payload);

      const response = await postWebhook(payload.replace('"delivered"', '"delivereD"'), headers);

      expect(response.status).toBe(403);
      expect(await storedCount([event.sg_event_id])).toBe(0);
    });

    test('a signature made for another timestamp (403)', async () => {
      const event = probe();
      const payload = JSON.stringify([event]);
      const headers = signed(payload, undefined, '1700000000');

      const response = await postWebhook(payload, { ...headers, [TIMESTAMP_HEADER]: '1700000001' });

      expect(response.status).toBe(403);
      expect(await storedCount([event.sg_event_id])).toBe(0);
    });

    test('a batch signed with another key, with a garbage signature, or unsigned (403)', async () => {
      const event = probe();
      const payload = JSON.stringify([event]);

      const responses = await Promise.all([
        postWebhook(payload, signed(payload, otherSigner)),
        postWebhook(payload, { [SIGNATURE_HEADER]: 'bm90IGEgc2lnbmF0dXJl', [TIMESTAMP_HEADER]: '1700000000' }),
        postWebhook(payload, {}),
      ]);

      expect(responses.map((r) => r.status)).toEqual([403, 403, 403]);
      expect(responses.map((r) => typeof r.body.detail)).toEqual(['string', 'string', 'string']);
      expect(await storedCount([event.sg_event_id])).toBe(0);
    });

    test('the same batch correctly signed is kept (the control)', async () => {
      const event = probe();
      const payload = JSON.stringify([event]);

      const response = await postWebhook(payload, signed(payload));

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ received: 1, stored: 1, duplicates: 0, ignored: 0 });
      expect(await storedCount([event.sg_event_id])).toBe(1);
    });
  });

  test('a 768 KB batch is accepted whole', async () => {
    const { message, mail } = await deliveredEmail('email-large-1');
    const events: SendGridEvent[] = [];
    const padding = 'x'.repeat(120);
    while (JSON.stringify(events).length < 768 * 1024) {
      events.push(laterEvent(mail, events.length % 2 ? 'click' : 'open', { url: `https://studio.example.com/offers?ref=${padding}`, useragent: 'Mozilla/5.0' }));
    }
    const payload = JSON.stringify(events);

    const response = await postWebhook(payload, signed(payload));

    expect(Buffer.byteLength(payload)).toBeGreaterThanOrEqual(768 * 1024);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: events.length, stored: events.length, duplicates: 0, ignored: 0 });
    expect((await settled('email-large-1', (m) => m.status === 'READ')).status).toBe('READ');
    expect(await stack.orm.em.fork().count(MessageStatusEvent, { messageId: message.message_id })).toBe(events.length + 2);
  });
});

describe('sending through the sandbox', () => {
  test('the message row keeps the X-Message-Id as the provider id before any event can need it', async () => {
    const accepted = await send({ to: uniqueEmail(), request_id: 'email-provider-id-1' });
    const id = accepted.body.messages[0].message_id;

    const message = await eventually(() => stack.orm.em.fork().findOneOrFail(Message, { id }), (m) => m.providerMessageId !== null && m.providerMessageId !== undefined);

    expect(message.providerMessageId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('POST /email/record and POST /email/status', () => {
  test('an email sent elsewhere is kept, read, in the client\'s conversation; a repeat of its request_id returns it; nothing is mailed', async () => {
    const to = uniqueEmail('recorded');
    const body = { business_id: tenant.business.id, to, subject: 'Receipt', text: 'Thanks for your visit', status: 'delivered', request_id: `record-${to}` };
    const recorded = await api(stack.baseUrl, 'POST', '/email/record', { body });
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ channel: 'email', direction: 'outbound', status: 'DELIVERED', from: SENDER, to, subject: 'Receipt', is_read: true });
    expect(mailsTo(to)).toEqual([]);
    const again = await api(stack.baseUrl, 'POST', '/email/record', { body });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(recorded.body.id);

    const inbound = await api(stack.baseUrl, 'POST', '/email/record', {
      body: { business_id: tenant.business.id, to, direction: 'inbound', subject: 'Re: Receipt', text: 'Can I book again?' },
    });
    expect(inbound.body).toMatchObject({ direction: 'inbound', status: 'RECEIVED', from: to, to: SENDER, is_read: false, conversation_id: recorded.body.conversation_id });
  });

  test('delivery news for an email from elsewhere is applied by the same rules; an SMS id is no email', async () => {
    const to = uniqueEmail('status');
    const accepted = await send({ to, text: 'Hello', request_id: `status-${to}` });
    const sent = await settled(`status-${to}`, (m) => m.status === 'DELIVERED');
    const opened = await api(stack.baseUrl, 'POST', '/email/status', { body: { provider_message_id: sent.provider_message_id, status: 'read' } });
    expect(opened.status).toBe(202);
    expect(opened.body).toMatchObject({ message_id: accepted.body.messages[0].message_id, status: 'READ' });
    const late = await api(stack.baseUrl, 'POST', '/email/status', { body: { message_id: sent.message_id, status: 'queued' } });
    expect(late.body.status).toBe('READ');

    const sms = await api(stack.baseUrl, 'POST', '/sms/record', { body: { business_id: tenant.business.id, to: '+14155550123', body: 'x' } });
    expect((await api(stack.baseUrl, 'POST', '/email/status', { body: { message_id: sms.body.id, status: 'delivered' } })).status).toBe(404);
  });
});
