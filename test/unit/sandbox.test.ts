import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { rewriteTwilioUrl, twilioClientFor } from '../../activities/providers/twilio-base-url';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import {
  MAGIC_TO_INVALID,
  MAGIC_TO_STUCK_SENT,
  MAGIC_TO_UNAVAILABLE,
  MAGIC_TO_UNDELIVERED,
  SANDBOX_SERVICE_FROM,
} from '../../sandbox/magic';
import { closeServer, waitFor } from '../support/polling';

const creds = {
  accountSid: SANDBOX_DEFAULTS.accountSid,
  authToken: SANDBOX_DEFAULTS.authToken,
  apiKeySid: 'SK' + '1f'.repeat(16),
  apiKeySecret: 'sandbox-api-key-secret',
};
const DELAY_MS = 40;
const FROM = '+15550001111';

interface Received {
  path: string;
  url: string;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
}

/** Our own webhook receiver, standing in for omega's status-callback endpoint. */
class Receiver {
  readonly received: Received[] = [];
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({
          path,
          url: this.url + path,
          headers: req.headers,
          params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf-8'))),
        });
        res.statusCode = path.startsWith('/fail500') ? 500 : path.startsWith('/fail403') ? 403 : 204;
        res.end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  forSid(sid: string): Received[] {
    return this.received.filter((r) => r.params.MessageSid === sid);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}


const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('provider sandbox (Twilio Messages emulator) driven by the real twilio client', () => {
  let sandbox: Sandbox;
  let baseUrl: string;
  let receiver: Receiver;
  let client: twilio.Twilio;

  beforeAll(async () => {
    sandbox = createSandbox({ twilio: creds, callbackDelayMs: DELAY_MS });
    baseUrl = await sandbox.listen(0);
    receiver = new Receiver();
    await receiver.start();
    client = twilioClientFor({ accountSid: creds.accountSid, authToken: creds.authToken, baseUrl });
  });

  afterAll(async () => {
    await sandbox.close();
    await receiver.stop();
  });

  it('listens on a random port and reports its base URL', () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.url).toBe(baseUrl);
  });

  it('queues a message to a normal number, then POSTs signed `sent` and `delivered` callbacks', async () => {
    const statusCallback = `${receiver.url}/twilio/status?tenant=t1&kind=sms`;
    const message = await client.messages.create({ to: '+15557654321', from: FROM, body: 'Hello from omega', statusCallback });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({
      accountSid: creds.accountSid,
      to: '+15557654321',
      from: FROM,
      body: 'Hello from omega',
      status: 'queued',
      numSegments: '1',
      numMedia: '0',
      direction: 'outbound-api',
      apiVersion: '2010-04-01',
      price: null,
      errorCode: null,
      errorMessage: null,
      dateSent: null,
      uri: `/2010-04-01/Accounts/${creds.accountSid}/Messages/${message.sid}.json`,
    });
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);

    const callbacks = await waitFor(() => receiver.forSid(message.sid).length >= 2 && receiver.forSid(message.sid));
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const cb of callbacks) {
      expect(cb.url).toBe(statusCallback);
      expect(cb.params).toEqual({
        MessageSid: message.sid,
        SmsSid: message.sid,
        SmsStatus: cb.params.MessageStatus,
        MessageStatus: cb.params.MessageStatus,
        AccountSid: creds.accountSid,
        From: FROM,
        To: '+15557654321',
        ApiVersion: '2010-04-01',
      });
      expect(cb.headers['user-agent']).toBe('TwilioProxy/1.1');
      expect(cb.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(cb.headers['i-twilio-idempotency-token']).toEqual(expect.any(String));
      const signature = cb.headers['x-twilio-signature'] as string;
      expect(twilio.validateRequest(creds.authToken, signature, cb.url, cb.params)).toBe(true);
      expect(twilio.validateRequest('not-the-token', signature, cb.url, cb.params)).toBe(false);
    }

    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
    expect(sandbox.messages().find((m) => m.sid === message.sid)?.history.map((h) => h.status)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
  });

  it('rejects the magic invalid number +15005550001 with a 400 RestException code 21211', async () => {
    const before = sandbox.messages().length;
    const error = await client.messages.create({ to: MAGIC_TO_INVALID, from: FROM, body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({
      status: 400,
      code: 21211,
      message: "The 'To' number +15005550001 is not a valid phone number.",
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
    expect(sandbox.messages()).toHaveLength(before);
  });

  it('rejects a To that is not E.164 with code 21211', async () => {
    await expect(client.messages.create({ to: '555-1234', from: FROM, body: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 21211,
    });
  });

  it('answers the magic unavailable number +15005550003 with a retryable 503', async () => {
    await expect(client.messages.create({ to: MAGIC_TO_UNAVAILABLE, from: FROM, body: 'x' })).rejects.toMatchObject({
      status: 503,
      code: 20503,
    });
  });

  it('takes the magic number +15005550002 through `sent` to `undelivered` with ErrorCode 30003', async () => {
    const message = await client.messages.create({
      to: MAGIC_TO_UNDELIVERED,
      from: FROM,
      body: 'x',
      statusCallback: `${receiver.url}/undelivered`,
    });
    expect(message.status).toBe('queued');
    const callbacks = await waitFor(() => receiver.forSid(message.sid).length >= 2 && receiver.forSid(message.sid));
    expect(callbacks.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([
      ['sent', undefined],
      ['undelivered', '30003'],
    ]);
    const signature = callbacks[1].headers['x-twilio-signature'] as string;
    expect(twilio.validateRequest(creds.authToken, signature, callbacks[1].url, callbacks[1].params)).toBe(true);
    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('undelivered');
    expect(fetched.errorCode).toBe(30003);
  });

  it('leaves the magic number +15005550004 at `sent` with no further callback', async () => {
    const message = await client.messages.create({
      to: MAGIC_TO_STUCK_SENT,
      from: FROM,
      body: 'x',
      statusCallback: `${receiver.url}/stuck`,
    });
    await waitFor(() => receiver.forSid(message.sid).length >= 1);
    await pause(DELAY_MS * 6);
    expect(receiver.forSid(message.sid).map((c) => c.params.MessageStatus)).toEqual(['sent']);
    expect((await client.messages(message.sid).fetch()).status).toBe('sent');
  });

  it('rejects a wrong auth token with 401 code 20003', async () => {
    const wrong = twilioClientFor({ accountSid: creds.accountSid, authToken: 'f'.repeat(32), baseUrl });
    await expect(wrong.messages.create({ to: '+15557654321', from: FROM, body: 'x' })).rejects.toMatchObject({
      status: 401,
      code: 20003,
      message: 'Authenticate',
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
    });
    await expect(wrong.messages.list({ limit: 1 })).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it('rejects valid credentials used against another account path with 401 code 20003', async () => {
    const otherAccount = twilioClientFor({ accountSid: 'AC' + '0'.repeat(32), authToken: creds.authToken, baseUrl });
    await expect(otherAccount.messages.list({ limit: 1 })).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it('rejects a request without credentials with 401 code 20003', async () => {
    const res = await fetch(`${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Messages.json`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  });

  it('accepts API key authentication (key sid + secret) for the configured account', async () => {
    const keyed = twilioClientFor({ ...creds, baseUrl });
    const message = await keyed.messages.create({ to: '+15557654322', from: FROM, body: 'via api key' });
    expect(message.status).toBe('queued');
  });

  it('requires To (21604), a sender (21603) and a Body or MediaUrl (21602)', async () => {
    const post = (form: Record<string, string>) =>
      fetch(`${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Messages.json`, {
        method: 'POST',
        headers: {
          Authorization: 'Basic ' + Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64'),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form).toString(),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { code: number } }));

    expect(await post({ From: FROM, Body: 'x' })).toMatchObject({ status: 400, body: { code: 21604 } });
    expect(await post({ To: '+15557654321', Body: 'x' })).toMatchObject({ status: 400, body: { code: 21603 } });
    await expect(client.messages.create({ to: '+15557654321', from: FROM })).rejects.toMatchObject({
      status: 400,
      code: 21602,
    });
  });

  it('accepts media-only messages and counts MediaUrl', async () => {
    const message = await client.messages.create({
      to: '+15557654323',
      from: FROM,
      mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'],
    });
    expect(message.numMedia).toBe('2');
    expect(sandbox.messages().find((m) => m.sid === message.sid)?.mediaUrls).toEqual([
      'https://example.com/a.png',
      'https://example.com/b.png',
    ]);
  });

  it('counts segments like Twilio: GSM 160/153 characters, UCS-2 70/67', async () => {
    const segments = async (body: string) =>
      (await client.messages.create({ to: '+15557654324', from: FROM, body })).numSegments;
    expect(await segments('a'.repeat(160))).toBe('1');
    expect(await segments('a'.repeat(161))).toBe('2');
    expect(await segments('a'.repeat(306))).toBe('2');
    expect(await segments('a'.repeat(307))).toBe('3');
    expect(await segments('{'.repeat(80))).toBe('1');
    expect(await segments('ж'.repeat(70))).toBe('1');
    expect(await segments('ж'.repeat(71))).toBe('2');
    expect(await segments('ж'.repeat(134))).toBe('2');
    expect(await segments('ж'.repeat(135))).toBe('3');
  });

  it('sends through a Messaging Service without From and reports the assigned sender in callbacks', async () => {
    const messagingServiceSid = 'MG' + 'ab'.repeat(16);
    const message = await client.messages.create({
      to: '+15557654325',
      messagingServiceSid,
      body: 'x',
      statusCallback: `${receiver.url}/service`,
    });
    expect(message.from).toBeNull();
    expect(message.messagingServiceSid).toBe(messagingServiceSid);
    const [sent] = await waitFor(() => receiver.forSid(message.sid).length >= 1 && receiver.forSid(message.sid));
    expect(sent.params).toMatchObject({ From: SANDBOX_SERVICE_FROM, MessagingServiceSid: messagingServiceSid });
    expect(twilio.validateRequest(creds.authToken, sent.headers['x-twilio-signature'] as string, sent.url, sent.params)).toBe(true);
  });

  it('fetches a message by sid and answers 404 code 20404 for an unknown sid', async () => {
    const created = await client.messages.create({ to: '+15557654326', from: FROM, body: 'fetch me' });
    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, body: 'fetch me', to: '+15557654326' });
    await expect(client.messages('SM' + '0'.repeat(32)).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it('lists messages filtered by To, newest first, and pages through them with the client', async () => {
    const to = '+15557770001';
    const sids: string[] = [];
    for (const body of ['one', 'two', 'three']) {
      sids.push((await client.messages.create({ to, from: FROM, body })).sid);
    }
    const newestFirst = [...sids].reverse();

    expect((await client.messages.list({ to })).map((m) => m.sid)).toEqual(newestFirst);
    expect((await client.messages.list({ to, limit: 1 })).map((m) => m.sid)).toEqual([newestFirst[0]]);

    const first = await client.messages.page({ to, pageSize: 2 });
    expect(first.instances.map((m) => m.sid)).toEqual(newestFirst.slice(0, 2));
    expect(first.nextPageUrl).toMatch(/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/.+PageToken=PA/);
    const second = await first.nextPage();
    expect(second?.instances.map((m) => m.sid)).toEqual(newestFirst.slice(2));
    expect(second?.nextPageUrl).toBeUndefined();
    const back = await second?.previousPage();
    expect(back?.instances.map((m) => m.sid)).toEqual(newestFirst.slice(0, 2));

    // list() follows next_page_uri across pages (through the base-URL rewrite).
    expect((await client.messages.list({ to, pageSize: 2 })).map((m) => m.sid)).toEqual(newestFirst);
    expect(await client.messages.list({ to: '+15557770999' })).toEqual([]);
  });

  it('filters the list by From and by DateSent (on a day, before, after)', async () => {
    const from = '+15550002222';
    const message = await client.messages.create({ to: '+15557770002', from, body: 'dated' });
    await waitFor(() => sandbox.messages().find((m) => m.sid === message.sid)?.dateSent);

    expect((await client.messages.list({ from })).map((m) => m.sid)).toEqual([message.sid]);
    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(
      `${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Messages.json?From=${encodeURIComponent(from)}&DateSent=${today}`,
      { headers: { Authorization: 'Basic ' + Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64') } },
    );
    const page = (await res.json()) as { messages: { sid: string }[]; page_size: number; uri: string };
    expect(page.messages.map((m) => m.sid)).toEqual([message.sid]);
    expect(page.page_size).toBe(50);
    expect(page.uri).toContain('DateSent=');

    const hourAgo = new Date(Date.now() - 3_600_000);
    expect((await client.messages.list({ from, dateSentAfter: hourAgo })).map((m) => m.sid)).toEqual([message.sid]);
    expect(await client.messages.list({ from, dateSentBefore: hourAgo })).toEqual([]);
  });

  it('records callbacks that a receiver refuses, retrying 5xx once and 4xx never', async () => {
    const m500 = await client.messages.create({ to: MAGIC_TO_STUCK_SENT, from: FROM, body: 'x', statusCallback: `${receiver.url}/fail500` });
    const m403 = await client.messages.create({ to: MAGIC_TO_STUCK_SENT, from: FROM, body: 'x', statusCallback: `${receiver.url}/fail403` });
    const of = (sid: string) => sandbox.callbacks().filter((c) => c.messageSid === sid);
    await waitFor(() => of(m500.sid).length >= 2 && of(m403.sid).length >= 1);
    await pause(DELAY_MS * 4);
    expect(of(m500.sid).map((c) => [c.attempt, c.status, c.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
    ]);
    expect(of(m403.sid).map((c) => [c.attempt, c.status, c.ok])).toEqual([[1, 403, false]]);
    const [first, retry] = of(m500.sid);
    expect(retry.idempotencyToken).toBe(first.idempotencyToken);
  });

  it('survives an unreachable callback URL: records the connection error, retries once, keeps serving', async () => {
    const url = `http://127.0.0.1:${await freePort()}/nobody-home`;
    const message = await client.messages.create({ to: '+15557654327', from: FROM, body: 'x', statusCallback: url });
    const of = () => sandbox.callbacks().filter((c) => c.messageSid === message.sid);
    await waitFor(() => of().length >= 4);
    expect(of().map((c) => [c.messageStatus, c.attempt, c.status])).toEqual([
      ['sent', 1, 'error'],
      ['sent', 2, 'error'],
      ['delivered', 1, 'error'],
      ['delivered', 2, 'error'],
    ]);
    expect(of()[0].error).toBe('ECONNREFUSED');
    expect((await client.messages(message.sid).fetch()).status).toBe('delivered');
    expect((await fetch(`${baseUrl}/sandbox/health`)).status).toBe(200);
  });

  it('exposes created messages and health on the unauthenticated /sandbox/ control endpoints', async () => {
    const health = (await (await fetch(`${baseUrl}/sandbox/health`)).json()) as { ok: boolean; messages: number };
    expect(health).toMatchObject({ ok: true, messages: sandbox.messages().length });
    const listed = (await (await fetch(`${baseUrl}/sandbox/messages`)).json()) as { messages: { sid: string }[] };
    expect(listed.messages.map((m) => m.sid)).toEqual(sandbox.messages().map((m) => m.sid));
  });

  it('answers unknown API paths with 404 code 20404', async () => {
    const res = await fetch(`${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Queues.json`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64') },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 20404, status: 404 });
  });
});

describe('provider sandbox lifecycle', () => {
  it('reset() and POST /sandbox/reset forget messages and cancel their pending callbacks', async () => {
    const sandbox = createSandbox({ twilio: creds, callbackDelayMs: 100 });
    const baseUrl = await sandbox.listen(0);
    try {
      const client = twilioClientFor({ accountSid: creds.accountSid, authToken: creds.authToken, baseUrl });
      await client.messages.create({ to: '+15557654330', from: FROM, body: 'x' });
      expect(sandbox.messages()).toHaveLength(1);
      sandbox.reset();
      expect(sandbox.messages()).toEqual([]);

      const created = await client.messages.create({ to: '+15557654331', from: FROM, body: 'x', statusCallback: 'http://127.0.0.1:9/never' });
      const res = await fetch(`${baseUrl}/sandbox/reset`, { method: 'POST' });
      expect(res.status).toBe(200);
      await pause(300);
      expect(sandbox.messages()).toEqual([]);
      expect(sandbox.callbacks().filter((c) => c.messageSid === created.sid)).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });

  it('close() stops the server and cancels pending status callbacks promptly', async () => {
    const sandbox = createSandbox({ twilio: creds, callbackDelayMs: 60_000 });
    const baseUrl = await sandbox.listen(0);
    const client = twilioClientFor({ accountSid: creds.accountSid, authToken: creds.authToken, baseUrl });
    await client.messages.create({ to: '+15557654332', from: FROM, body: 'x', statusCallback: 'http://127.0.0.1:9/never' });

    const started = Date.now();
    await sandbox.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sandbox.callbacks()).toEqual([]);
    expect(sandbox.messages().map((m) => m.status)).toEqual(['queued']);
    expect(() => sandbox.url).toThrow('not listening');
    await expect(fetch(`${baseUrl}/sandbox/health`)).rejects.toThrow();
    await sandbox.close(); // idempotent
  });
});

describe('twilio client base-URL rewrite', () => {
  it('rewrites any https://*.twilio.com origin to the base URL, keeping path and query', () => {
    const base = 'http://127.0.0.1:8025';
    expect(rewriteTwilioUrl('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1&Page=1', base)).toBe(
      'http://127.0.0.1:8025/2010-04-01/Accounts/AC1/Messages.json?To=%2B1&Page=1',
    );
    expect(rewriteTwilioUrl('https://api.dublin.ie1.twilio.com:443/2010-04-01/x.json', `${base}/`)).toBe(
      'http://127.0.0.1:8025/2010-04-01/x.json',
    );
    expect(rewriteTwilioUrl('https://messaging.twilio.com/v1/Services', base)).toBe('http://127.0.0.1:8025/v1/Services');
    expect(rewriteTwilioUrl('https://example.com/api.twilio.com/x', base)).toBe('https://example.com/api.twilio.com/x');
    expect(rewriteTwilioUrl('https://eviltwilio.com/x', base)).toBe('https://eviltwilio.com/x');
  });

  it('builds a normal client against Twilio when no base URL is given', () => {
    const client = twilioClientFor({ accountSid: creds.accountSid, authToken: creds.authToken });
    expect(client.accountSid).toBe(creds.accountSid);
    expect(client.httpClient.constructor.name).toBe('RequestClient');
  });

  it('uses the fixed development credentials shape', () => {
    expect(SANDBOX_DEFAULTS.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(SANDBOX_DEFAULTS.authToken).toMatch(/^[0-9a-f]{32}$/);
  });
});
