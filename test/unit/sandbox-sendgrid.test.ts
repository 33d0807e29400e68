import sendgridSingleton, { type Client } from '@sendgrid/client';
import { sendgridClientFor } from '../../activities/providers/sendgrid-base-url';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { MAGIC_SENDER_DOMAIN_INVALID, MAGIC_SENDER_DOMAIN_UNVERIFIABLE } from '../../sandbox/magic';
import { waitFor } from '../support/polling';

const twilioCreds = { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken };
const API_KEY = 'SG.sandbox-test-key';
const DELAY_MS = 40;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


function senderBody(fromEmail: string, extra: Record<string, unknown> = {}) {
  return {
    nickname: `sender ${fromEmail}`,
    from_email: fromEmail,
    from_name: 'Acme Dental',
    reply_to: fromEmail,
    address: '1 Market St',
    city: 'San Francisco',
    country: 'USA',
    ...extra,
  };
}

/** The client's internal default request (not in its typings). */
const defaultRequestOf = (client: Client) => (client as unknown as { defaultRequest: { baseUrl: string } }).defaultRequest;

describe('sandbox SendGrid sender verification driven by the real @sendgrid/client', () => {
  let sandbox: Sandbox;
  let baseUrl: string;
  let client: Client;

  const create = async (body: Record<string, unknown>) => {
    const [response, payload] = await client.request({ url: '/v3/verified_senders', method: 'POST', body });
    return { status: response.statusCode, sender: payload as any };
  };
  const list = async (qs: Record<string, unknown> = {}) => {
    const [response, payload] = await client.request({ url: '/v3/verified_senders', method: 'GET', qs });
    expect(response.statusCode).toBe(200);
    return (payload as any).results as any[];
  };
  const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as any);

  beforeAll(async () => {
    sandbox = createSandbox({ twilio: twilioCreds, sendgrid: { apiKey: API_KEY }, callbackDelayMs: DELAY_MS });
    baseUrl = await sandbox.listen(0);
    client = sendgridClientFor({ apiKey: API_KEY, baseUrl });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('creates a sender (201, verified: false) that verifies by itself after the delay', async () => {
    const { status, sender } = await create(senderBody('owner@acme-dental.test', { reply_to_name: 'Front desk', zip: '94105' }));
    expect(status).toBe(201);
    expect(sender).toEqual({
      id: expect.any(Number),
      nickname: 'sender owner@acme-dental.test',
      from_email: 'owner@acme-dental.test',
      from_name: 'Acme Dental',
      reply_to: 'owner@acme-dental.test',
      reply_to_name: 'Front desk',
      address: '1 Market St',
      address2: '',
      state: '',
      city: 'San Francisco',
      zip: '94105',
      country: 'USA',
      verified: false,
      locked: false,
    });
    expect(sandbox.verifiedSenders().find((s) => s.id === sender.id)).toMatchObject({ status: 'pending', verified: false });

    const stored = await waitFor(() => sandbox.verifiedSenders().find((s) => s.id === sender.id && s.status === 'verified'));
    expect(stored.verifiedAt).toBeInstanceOf(Date);
    expect(stored.verifiedAt!.getTime() - stored.createdAt.getTime()).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(stored.request).toMatchObject({ from_email: 'owner@acme-dental.test', zip: '94105' });
    expect(await list({ id: sender.id })).toEqual([{ ...sender, verified: true }]);
  });

  it('lists senders as { results }, oldest first, with limit, lastSeenID and id', async () => {
    const a = (await create(senderBody('a@list.test'))).sender;
    const b = (await create(senderBody('b@list.test'))).sender;
    const c = (await create(senderBody('c@list.test'))).sender;
    const ids = (await list()).map((s) => s.id);
    expect(ids.slice(-3)).toEqual([a.id, b.id, c.id]);
    expect((await list({ lastSeenID: a.id })).map((s) => s.id)).toEqual([b.id, c.id]);
    expect((await list({ lastSeenID: a.id, limit: 1 })).map((s) => s.id)).toEqual([b.id]);
    expect((await list({ id: c.id })).map((s) => s.id)).toEqual([c.id]);
    expect(await list({ id: 42 })).toEqual([]);
    const error = await rejection(client.request({ url: '/v3/verified_senders', method: 'GET', qs: { limit: 'many' } }));
    expect(error).toMatchObject({ code: 400, response: { body: { errors: [{ field: 'limit' }] } } });
  });

  it(`creates senders @${MAGIC_SENDER_DOMAIN_UNVERIFIABLE} but never verifies them`, async () => {
    const { status, sender } = await create(senderBody(`owner@${MAGIC_SENDER_DOMAIN_UNVERIFIABLE}`));
    expect(status).toBe(201);
    expect(sender.verified).toBe(false);

    const stored = await waitFor(() => sandbox.verifiedSenders().find((s) => s.id === sender.id && s.status === 'failed'));
    expect(stored).toMatchObject({ verified: false, verifiedAt: null, failedAt: expect.any(Date) });
    await pause(DELAY_MS * 3);
    expect(await list({ id: sender.id })).toEqual([expect.objectContaining({ id: sender.id, verified: false, locked: false })]);
    // Subdomains count too.
    const sub = await create(senderBody(`owner@mail.${MAGIC_SENDER_DOMAIN_UNVERIFIABLE}`));
    expect((await waitFor(() => sandbox.verifiedSenders().find((s) => s.id === sub.sender.id && s.status !== 'pending'))).status).toBe(
      'failed',
    );
  });

  it(`rejects senders @${MAGIC_SENDER_DOMAIN_INVALID} with 400 and errors[].field = from_email`, async () => {
    const before = sandbox.verifiedSenders().length;
    const error = await rejection(create(senderBody(`owner@${MAGIC_SENDER_DOMAIN_INVALID}`)));
    expect(error).toMatchObject({ code: 400, response: { body: { errors: [{ field: 'from_email', message: expect.any(String) }] } } });
    expect(sandbox.verifiedSenders()).toHaveLength(before);
  });

  it('requires nickname, from_email and reply_to, reporting every missing field', async () => {
    const error = await rejection(create({ from_name: 'x' }));
    expect(error.code).toBe(400);
    expect(error.response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['from_email', 'nickname', 'reply_to']);
    const badEmail = await rejection(create(senderBody('not-an-email')));
    expect(badEmail.response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['from_email', 'reply_to']);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await fetch(`${baseUrl}/v3/verified_senders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ field: null, message: expect.any(String) }] });
  });

  it('answers a wrong or missing Bearer key with 401 authorization required', async () => {
    const wrong = sendgridClientFor({ apiKey: 'SG.not-the-key', baseUrl });
    const error = await rejection(wrong.request({ url: '/v3/verified_senders', method: 'GET' }));
    expect(error).toMatchObject({ code: 401, response: { body: { errors: [{ field: null, message: 'authorization required' }] } } });
    await expect(rejection(wrong.request({ url: '/v3/verified_senders', method: 'POST', body: senderBody('x@y.test') }))).resolves.toMatchObject({
      code: 401,
    });

    const missing = await fetch(`${baseUrl}/v3/verified_senders`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ errors: [{ field: null, message: 'authorization required' }] });
    const basic = await fetch(`${baseUrl}/v3/verified_senders`, { headers: { Authorization: `Basic ${API_KEY}` } });
    expect(basic.status).toBe(401);
  });

  it('deletes a sender: 204, gone from the list, kept in verifiedSenders() flagged deleted; then 404', async () => {
    const { sender } = await create(senderBody('leaving@acme-dental.test'));
    const [response, payload] = await client.request({ url: `/v3/verified_senders/${sender.id}`, method: 'DELETE' });
    expect(response.statusCode).toBe(204);
    expect(payload).toBe('');
    expect(await list({ id: sender.id })).toEqual([]);

    const stored = sandbox.verifiedSenders().find((s) => s.id === sender.id);
    expect(stored).toMatchObject({ deleted: true, deletedAt: expect.any(Date) });
    // Deleted before the delay ran out: it never verifies.
    await pause(DELAY_MS * 3);
    expect(sandbox.verifiedSenders().find((s) => s.id === sender.id)).toMatchObject({ status: 'pending', verified: false });

    const again = await rejection(client.request({ url: `/v3/verified_senders/${sender.id}`, method: 'DELETE' }));
    expect(again).toMatchObject({ code: 404, response: { body: { errors: [{ field: null, message: 'resource not found' }] } } });
    expect(await rejection(client.request({ url: '/v3/verified_senders/abc', method: 'DELETE' }))).toMatchObject({ code: 404 });
  });

  it('exposes senders on GET /sandbox/verified-senders and answers other /v3 paths with 404 in SendGrid\'s shape', async () => {
    const body = (await (await fetch(`${baseUrl}/sandbox/verified-senders`)).json()) as any;
    expect(body.verifiedSenders.map((s: { id: number }) => s.id)).toEqual(sandbox.verifiedSenders().map((s) => s.id));
    const other = await rejection(client.request({ url: '/v3/templates', method: 'GET' }));
    expect(other).toMatchObject({ code: 404, response: { body: { errors: [{ field: null }] } } });
  });
});

describe('sendgridClientFor', () => {
  it('builds its own Client (not the package singleton), pointed at the base URL when given', () => {
    const pointed = sendgridClientFor({ apiKey: API_KEY, baseUrl: 'http://127.0.0.1:8025/' });
    expect(pointed).not.toBe(sendgridSingleton);
    expect(defaultRequestOf(pointed).baseUrl).toBe('http://127.0.0.1:8025/');
    expect(defaultRequestOf(sendgridClientFor({ apiKey: API_KEY })).baseUrl).toBe('https://api.sendgrid.com/');
    expect(defaultRequestOf(sendgridSingleton as unknown as Client).baseUrl).toBe('https://api.sendgrid.com/');
    expect(pointed.createHeaders({}).Authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('uses the fixed development key by default', async () => {
    expect(SANDBOX_DEFAULTS.sendgridApiKey).toBe('SG.sandbox-development-key');
    const sandbox = createSandbox({ twilio: twilioCreds });
    const baseUrl = await sandbox.listen(0);
    try {
      const client = sendgridClientFor({ apiKey: SANDBOX_DEFAULTS.sendgridApiKey, baseUrl });
      const [response] = await client.request({ url: '/v3/verified_senders', method: 'GET' });
      expect(response.statusCode).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});

describe('sandbox SendGrid state', () => {
  it('reset() and POST /sandbox/reset forget senders and cancel pending verifications', async () => {
    const sandbox = createSandbox({ twilio: twilioCreds, callbackDelayMs: 100 });
    const baseUrl = await sandbox.listen(0);
    try {
      const client = sendgridClientFor({ apiKey: SANDBOX_DEFAULTS.sendgridApiKey, baseUrl });
      const body = senderBody('reset@acme-dental.test');
      await client.request({ url: '/v3/verified_senders', method: 'POST', body });
      expect(sandbox.verifiedSenders()).toHaveLength(1);
      sandbox.reset();
      expect(sandbox.verifiedSenders()).toEqual([]);

      const [, created] = await client.request({ url: '/v3/verified_senders', method: 'POST', body });
      expect((await fetch(`${baseUrl}/sandbox/reset`, { method: 'POST' })).status).toBe(200);
      expect(sandbox.verifiedSenders()).toEqual([]);
      await pause(250);
      const [, listed] = await client.request({ url: '/v3/verified_senders', method: 'GET' });
      expect(listed).toEqual({ results: [] });
      expect((created as { id: number }).id).toEqual(expect.any(Number));
    } finally {
      await sandbox.close();
    }
  });

  it('close() cancels pending verifications promptly and leaves no server, socket or timer behind', async () => {
    await pause(50); // let earlier tests' sockets finish closing
    const counts = () => {
      const c: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
      for (const name of process.getActiveResourcesInfo()) if (name in c) c[name] += 1;
      return c;
    };
    const before = counts();
    const sandbox = createSandbox({ twilio: twilioCreds, callbackDelayMs: 60_000 });
    const baseUrl = await sandbox.listen(0);
    const client = sendgridClientFor({ apiKey: SANDBOX_DEFAULTS.sendgridApiKey, baseUrl });
    await client.request({ url: '/v3/verified_senders', method: 'POST', body: senderBody('slow@acme-dental.test') });

    const started = Date.now();
    await sandbox.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await pause(50);
    expect(counts()).toEqual(before);
    expect(sandbox.verifiedSenders().map((s) => s.status)).toEqual(['pending']);
    await sandbox.close(); // idempotent
  });
});
