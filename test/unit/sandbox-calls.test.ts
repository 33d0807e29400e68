import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { twilioClientFor } from '../../activities/providers/twilio-base-url';
import { createSandbox, type Sandbox, type SandboxCall } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { MAGIC_CALL_TO_BUSY, MAGIC_CALL_TO_FAILED, MAGIC_CALL_TO_NO_ANSWER } from '../../sandbox/magic';
import { closeServer, waitFor } from '../support/polling';

const creds = { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken };
const DELAY_MS = 5;
const CALLER = '+15557650001';
const RFC_2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

interface Received {
  path: string;
  url: string;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
}

/** What the stand-in app answers on a path: TwiML (200 text/xml), a bare status, or TwiML after a while. */
type Answer = string | number | { afterMs: number; twiml: string };

/** Stands in for omega: answers TwiML per path (204 for anything else) and records every request. */
class App {
  readonly received: Received[] = [];
  readonly answers = new Map<string, Answer>();
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0];
        this.received.push({
          path,
          url: this.url + (req.url ?? '/'),
          headers: req.headers,
          params: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf-8'))),
        });
        this.answer(res, this.answers.get(path));
      });
    });
  }

  private answer(res: ServerResponse, answer: Answer | undefined): void {
    if (answer === undefined || typeof answer === 'number') {
      res.statusCode = answer ?? 204;
      res.end();
      return;
    }
    const twiml = typeof answer === 'string' ? answer : answer.twiml;
    const reply = (): void => {
      if (res.destroyed) return;
      res.setHeader('Content-Type', 'text/xml');
      res.end(twiml);
    };
    if (typeof answer === 'string') return reply();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      reply();
    }, answer.afterMs);
    this.timers.add(timer);
  }

  on(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  clear(): void {
    this.received.length = 0;
    this.answers.clear();
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await closeServer(this.server);
  }
}


function expectSignedByTwilio(requests: Received[]): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) {
    expect(r.headers['user-agent']).toBe('TwilioProxy/1.1');
    expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const signature = r.headers['x-twilio-signature'] as string;
    expect(twilio.validateRequest(creds.authToken, signature, r.url, r.params)).toBe(true);
  }
}

/** A request as [path, whose CallSid (by name), CallStatus, SequenceNumber], to compare sequences at a glance. */
function steps(requests: Received[], names: Record<string, string>): (string | undefined)[][] {
  return requests.map((r) => [r.path, names[r.params.CallSid] ?? r.params.CallSid, r.params.CallStatus, r.params.SequenceNumber]);
}

const ring = (path: string, identity: string, app: App): string =>
  `<Client statusCallbackEvent="initiated ringing answered completed" statusCallback="${app.url}${path}">${identity}</Client>`;

describe('provider sandbox voice calls', () => {
  let sandbox: Sandbox;
  let baseUrl: string;
  let app: App;
  let client: twilio.Twilio;

  beforeAll(async () => {
    sandbox = createSandbox({ twilio: creds, callbackDelayMs: DELAY_MS });
    baseUrl = await sandbox.listen(0);
    app = new App();
    await app.start();
    client = twilioClientFor({ ...creds, baseUrl });
  });

  afterAll(async () => {
    await sandbox.close();
    await app.stop();
  });

  beforeEach(() => {
    sandbox.reset();
    app.clear();
  });

  async function buyNumber(): Promise<string> {
    const bought = await client.incomingPhoneNumbers.create({
      areaCode: '415',
      voiceUrl: `${app.url}/voice?tenant=t1`,
      statusCallback: `${app.url}/call-status`,
    });
    return bought.phoneNumber;
  }

  const dialStaff = (): string =>
    `<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="/dial-done?tenant=t1" timeout="20">${ring('/leg', 'staff_1', app)}${ring('/leg', 'staff_2', app)}</Dial></Response>`;

  it('rings staff on an inbound call to a bought number; staff_2 answers', async () => {
    const number = await buyNumber();
    app.on('/voice', dialStaff());
    app.on('/dial-done', '<Response><Hangup/></Response>');

    const call = await sandbox.placeCall({ from: CALLER, to: number, script: { dial: 'answer', answeredBy: 'staff_2', talkSeconds: 42 } });

    expect(call).toMatchObject({ from: CALLER, to: number, direction: 'inbound', status: 'completed', duration: 42 });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    const [one, two] = call.legs;
    expect(call.legs).toEqual([
      { sid: expect.stringMatching(/^CA[0-9a-f]{32}$/), to: 'client:staff_1', status: 'canceled', duration: 0 },
      { sid: expect.stringMatching(/^CA[0-9a-f]{32}$/), to: 'client:staff_2', status: 'completed', duration: 42 },
    ]);
    const names = { [call.sid]: 'parent', [one.sid]: 'staff_1', [two.sid]: 'staff_2' };
    expect(steps(app.received, names)).toEqual([
      ['/voice', 'parent', 'ringing', undefined],
      ['/leg', 'staff_1', 'initiated', '0'],
      ['/leg', 'staff_2', 'initiated', '0'],
      ['/leg', 'staff_1', 'ringing', '1'],
      ['/leg', 'staff_2', 'ringing', '1'],
      ['/leg', 'staff_2', 'in-progress', '2'],
      ['/leg', 'staff_1', 'canceled', '2'],
      ['/leg', 'staff_2', 'completed', '3'],
      ['/dial-done', 'parent', 'in-progress', undefined],
      ['/call-status', 'parent', 'completed', '0'],
    ]);
    expectSignedByTwilio(app.received);

    const [voice] = app.to('/voice');
    expect(voice.url).toBe(`${app.url}/voice?tenant=t1`);
    expect(voice.params).toEqual({
      AccountSid: creds.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      From: CALLER,
      To: number,
      Caller: CALLER,
      Called: number,
      Direction: 'inbound',
      CallStatus: 'ringing',
    });
    const legs = app.to('/leg');
    for (const leg of legs) {
      expect(leg.params).toMatchObject({ ParentCallSid: call.sid, Direction: 'outbound-dial', From: CALLER, Caller: CALLER, CallbackSource: 'call-progress-events' });
      expect(leg.params.Called).toBe(leg.params.To);
      expect(leg.params.Timestamp).toMatch(RFC_2822);
    }
    expect(legs[5].params).toMatchObject({ To: 'client:staff_1', CallDuration: '0', Duration: '0' });
    expect(legs[6].params).toMatchObject({ To: 'client:staff_2', CallDuration: '42', Duration: '1' });
    expect(legs[0].params.CallDuration).toBeUndefined();

    expect(app.to('/dial-done')[0].url).toBe(`${app.url}/dial-done?tenant=t1`);
    expect(app.to('/dial-done')[0].params).toMatchObject({ DialCallStatus: 'completed', DialCallSid: two.sid, DialCallDuration: '42' });
    expect(app.to('/call-status')[0].params).toMatchObject({
      CallSid: call.sid,
      CallStatus: 'completed',
      CallDuration: '42',
      Duration: '1',
      Direction: 'inbound',
      CallbackSource: 'call-progress-events',
    });
    expect(call.twiml).toEqual([dialStaff(), '<Response><Hangup/></Response>']);
    expect(call.webhooks.map((w) => [new URL(w.url).pathname, w.status])).toEqual(app.received.map((r) => [r.path, r.path === '/leg' || r.path === '/call-status' ? 204 : 200]));
    expect(sandbox.calls()).toEqual([call]);
  });

  it('takes an unanswered call to voicemail: DialCallStatus no-answer, then Say and Record', async () => {
    const number = await buyNumber();
    app.on('/voice', dialStaff());
    app.on('/dial-done', '<Response><Say>Please leave a message.</Say><Record action="/recorded" maxLength="120" playBeep="true" recordingStatusCallback="/recording"/></Response>');
    app.on('/recorded', '<Response><Hangup/></Response>');

    const call = await sandbox.placeCall({ from: CALLER, to: number, script: { voicemailSeconds: 12 } });

    expect(call).toMatchObject({ status: 'completed', duration: 12 });
    expect(call.legs.map((leg) => leg.status)).toEqual(['no-answer', 'no-answer']);
    expect(app.to('/leg').filter((r) => r.params.SequenceNumber === '2').map((r) => r.params.CallStatus)).toEqual(['no-answer', 'no-answer']);
    expect(app.to('/dial-done')[0].params).toMatchObject({ CallStatus: 'ringing', DialCallStatus: 'no-answer', DialCallSid: call.legs[0].sid, DialCallDuration: '0' });

    const [recording] = call.recordings;
    expect(recording).toEqual({
      sid: expect.stringMatching(/^RE[0-9a-f]{32}$/),
      url: `${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Recordings/${recording.sid}`,
      duration: 12,
      source: 'RecordVerb',
    });
    expect(app.to('/recorded')[0].params).toMatchObject({
      CallSid: call.sid,
      CallStatus: 'in-progress',
      RecordingUrl: recording.url,
      RecordingSid: recording.sid,
      RecordingDuration: '12',
      Digits: 'hangup',
    });
    const [callback] = app.to('/recording');
    expect(callback.url).toBe(`${app.url}/recording`);
    expect(callback.params).toEqual({
      AccountSid: creds.accountSid,
      CallSid: call.sid,
      RecordingSid: recording.sid,
      RecordingUrl: recording.url,
      RecordingStatus: 'completed',
      RecordingDuration: '12',
      RecordingChannels: '1',
      RecordingSource: 'RecordVerb',
      RecordingStartTime: expect.stringMatching(RFC_2822),
      ErrorCode: '0',
    });
    expect(app.received.map((r) => r.path).slice(-4)).toEqual(['/dial-done', '/recorded', '/recording', '/call-status']);
    expect(app.to('/call-status')[0].params).toMatchObject({ CallStatus: 'completed', CallDuration: '12', Duration: '1' });
    expectSignedByTwilio(app.received);

    for (const suffix of ['', '.wav', '.mp3']) {
      const audio = await fetch(recording.url + suffix);
      expect(audio.status).toBe(200);
      expect(audio.headers.get('content-type')).toBe('audio/x-wav');
      expect(Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString('ascii')).toBe('RIFF');
    }
    expect((await fetch(`${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Recordings/RE${'0'.repeat(32)}`)).status).toBe(404);
  });

  it('ends without a recording or an action when the caller hangs up at the beep, and `canceled` when they hang up while it rings', async () => {
    const number = await buyNumber();
    app.on('/voice', '<Response><Say>Leave a message.</Say><Record action="/recorded" recordingStatusCallback="/recording"/></Response>');
    const hungUp = await sandbox.placeCall({ from: CALLER, to: number });
    expect(hungUp).toMatchObject({ status: 'completed', duration: 0, recordings: [] });
    expect(app.received.map((r) => r.path)).toEqual(['/voice', '/call-status']);

    app.on('/voice', dialStaff());
    const canceled = await sandbox.placeCall({ from: CALLER, to: number, script: { dial: 'caller-hangs-up' } });
    expect(canceled).toMatchObject({ status: 'canceled', duration: 0 });
    expect(canceled.legs.map((leg) => leg.status)).toEqual(['canceled', 'canceled']);
    expect(app.to('/dial-done')).toEqual([]);
    expect(app.to('/call-status').pop()?.params).toMatchObject({ CallSid: canceled.sid, CallStatus: 'canceled', CallDuration: '0' });
  });

  it('reports `busy` after <Reject/>, and a recorded <Dial> with its DialVerb recording on the parent', async () => {
    const number = await buyNumber();
    app.on('/voice', '<Response><Reject reason="busy"/></Response>');
    expect(await sandbox.placeCall({ from: CALLER, to: number })).toMatchObject({ status: 'busy', duration: 0 });

    app.on(
      '/voice',
      `<Response><Dial record="record-from-answer" recordingStatusCallback="${app.url}/dial-recording"><Number>+15551234567</Number></Dial><Say>Bye</Say></Response>`,
    );
    const call = await sandbox.placeCall({ from: CALLER, to: number, script: { dial: 'answer', talkSeconds: 65 } });
    expect(call).toMatchObject({ status: 'completed', duration: 65 });
    expect(call.recordings).toEqual([expect.objectContaining({ duration: 65, source: 'DialVerb' })]);
    expect(app.to('/dial-recording')[0].params).toMatchObject({ CallSid: call.sid, RecordingSource: 'DialVerb', RecordingDuration: '65' });
    expect(app.to('/call-status').pop()?.params).toMatchObject({ CallStatus: 'completed', CallDuration: '65', Duration: '2' });
  });

  it("places a browser client's call: From client:<identity>, custom params, and the Dial's callerId on the leg", async () => {
    app.on(
      '/client-voice',
      `<Response><Dial callerId="+14155550123"><Number statusCallback="${app.url}/leg" statusCallbackEvent="initiated answered">+15559876543</Number></Dial></Response>`,
    );
    const call = await sandbox.clientCall({
      identity: 'staff_1',
      to: '+15559876543',
      url: `${app.url}/client-voice`,
      statusCallback: `${app.url}/client-status`,
      params: { businessId: '7', To: 'ignored' },
      script: { dial: 'answer' },
    });

    expect(call).toMatchObject({ from: 'client:staff_1', to: '+15559876543', direction: 'inbound', status: 'completed', duration: 30 });
    expect(app.to('/client-voice')[0].params).toMatchObject({
      From: 'client:staff_1',
      Caller: 'client:staff_1',
      To: '+15559876543',
      Direction: 'inbound',
      businessId: '7',
    });
    expect(app.to('/leg').map((r) => [r.params.CallStatus, r.params.From, r.params.Caller, r.params.To])).toEqual([
      ['initiated', '+14155550123', '+14155550123', '+15559876543'],
      ['in-progress', '+14155550123', '+14155550123', '+15559876543'],
    ]);
    expect(app.to('/client-status')[0].params).toMatchObject({ businessId: '7', CallStatus: 'completed', CallDuration: '30', Duration: '1' });
    expectSignedByTwilio(app.received);
  });

  it('fails a call whose TwiML URL answers 500 (11200) or does not parse (12100)', async () => {
    const number = await buyNumber();
    app.on('/voice', 500);
    const failed = await sandbox.placeCall({ from: CALLER, to: number });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 11200, message: 'HTTP retrieval failure' }, twiml: [] });
    expect(app.to('/call-status')[0].params).toMatchObject({ CallStatus: 'failed', CallDuration: '0' });

    app.on('/voice', '<Response><Say>unclosed</Response>');
    const unparsed = await sandbox.placeCall({ from: CALLER, to: number });
    expect(unparsed).toMatchObject({ status: 'failed', error: { code: 12100, message: 'Document parse failure' } });

    await expect(sandbox.placeCall({ from: CALLER, to: '+15550000000' })).rejects.toThrow(/no VoiceUrl for \+15550000000/);
  });

  it('creates, fetches, lists and hangs up calls through the twilio client', async () => {
    const from = await buyNumber();
    app.on('/outbound', '<Response><Say>Your appointment is tomorrow.</Say></Response>');
    const created = await client.calls.create({
      to: '+15557654321',
      from,
      url: `${app.url}/outbound`,
      statusCallback: `${app.url}/rest-status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      accountSid: creds.accountSid,
      to: '+15557654321',
      from,
      toFormatted: '(555) 765-4321',
      status: 'queued',
      direction: 'outbound-api',
      startTime: null,
      endTime: null,
      duration: null,
      apiVersion: '2010-04-01',
      price: null,
      priceUnit: 'USD',
      parentCallSid: null,
      answeredBy: null,
      callerName: null,
      uri: `/2010-04-01/Accounts/${creds.accountSid}/Calls/${created.sid}.json`,
    });
    expect(created.dateCreated).toBeInstanceOf(Date);

    const callbacks = await waitFor(() => app.to('/rest-status').length === 4 && app.to('/rest-status'));
    expect(callbacks.map((r) => [r.params.CallStatus, r.params.SequenceNumber, r.params.Direction])).toEqual([
      ['initiated', '0', 'outbound-api'],
      ['ringing', '1', 'outbound-api'],
      ['in-progress', '2', 'outbound-api'],
      ['completed', '3', 'outbound-api'],
    ]);
    expect(app.to('/outbound')[0].params).toMatchObject({ CallSid: created.sid, CallStatus: 'in-progress', Direction: 'outbound-api', From: from });
    expectSignedByTwilio(app.received);

    const fetched = await client.calls(created.sid).fetch();
    expect(fetched).toMatchObject({ status: 'completed', duration: '0' });
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.endTime).toBeInstanceOf(Date);

    const busy = await client.calls.create({
      to: MAGIC_CALL_TO_BUSY,
      from,
      twiml: '<Response><Say>never heard</Say></Response>',
      statusCallback: `${app.url}/busy-status`,
      statusCallbackEvent: ['ringing completed'],
    });
    await waitFor(() => app.to('/busy-status').length === 2);
    expect(app.to('/busy-status').map((r) => r.params.CallStatus)).toEqual(['ringing', 'busy']);
    expect((await client.calls(busy.sid).fetch()).status).toBe('busy');
    for (const [to, status] of [
      [MAGIC_CALL_TO_NO_ANSWER, 'no-answer'],
      [MAGIC_CALL_TO_FAILED, 'failed'],
    ]) {
      const { sid } = await client.calls.create({ to, from, url: `${app.url}/outbound` });
      await waitFor(() => sandbox.calls().find((c) => c.sid === sid && c.status === status));
    }
    expect(app.to('/outbound')).toHaveLength(1);

    expect((await client.calls.list({ to: MAGIC_CALL_TO_BUSY })).map((c) => c.sid)).toEqual([busy.sid]);
    expect((await client.calls.list({ status: 'completed' })).map((c) => c.sid)).toEqual([created.sid]);
    const all = await client.calls.list({ pageSize: 2 });
    expect(all.map((c) => c.sid)).toEqual(sandbox.calls().map((c) => c.sid).reverse());

    app.on('/slow', { afterMs: 2_000, twiml: '<Response><Say>too late</Say></Response>' });
    const long = await client.calls.create({ to: '+15557654321', from, url: `${app.url}/slow`, statusCallback: `${app.url}/long-status` });
    await waitFor(() => app.to('/slow').length === 1);
    const hungUp = await client.calls(long.sid).update({ status: 'completed' });
    expect(hungUp.status).toBe('completed');
    await waitFor(() => app.to('/long-status').length === 1);
    expect(app.to('/long-status')[0].params).toMatchObject({ CallSid: long.sid, CallStatus: 'completed' });
    await expect(client.calls(long.sid).update({ status: 'completed' })).rejects.toMatchObject({ status: 400, code: 21220 });
    await expect(client.calls(`CA${'0'.repeat(32)}`).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
    await expect(client.calls.create({ to: '+15557654321', from })).rejects.toMatchObject({ status: 400, code: 21205 });
  });

  it("answers Twilio's codes for a create without To or From", async () => {
    const post = (form: Record<string, string>) =>
      fetch(`${baseUrl}/2010-04-01/Accounts/${creds.accountSid}/Calls.json`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form).toString(),
      });
    const noTo = await post({ From: CALLER, Url: `${app.url}/x` });
    expect(noTo.status).toBe(400);
    expect(await noTo.json()).toMatchObject({ code: 21201, message: "No 'To' number is specified" });
    expect(await (await post({ To: CALLER, Url: `${app.url}/x` })).json()).toMatchObject({ code: 21213, message: "No 'From' number is specified" });
  });

  it('cancels a running call on reset() without hanging', async () => {
    const number = await buyNumber();
    app.on('/voice', { afterMs: 2_000, twiml: '<Response/>' });
    const running = sandbox.placeCall({ from: CALLER, to: number });
    await waitFor(() => app.to('/voice').length === 1);
    sandbox.reset();
    const call: SandboxCall = await running;
    expect(call.status).toBe('canceled');
    expect(sandbox.calls()).toEqual([]);
    expect(app.to('/call-status')).toEqual([]);
  });

  it('serves the control routes: inbound and client calls as JSON, the list, and 400 for a bad body', async () => {
    const number = await buyNumber();
    app.on('/voice', '<Response><Reject/></Response>');
    app.on('/client-voice', dialStaff());
    app.on('/dial-done', '<Response/>');
    const control = (path: string, body: string) =>
      fetch(`${baseUrl}/sandbox/calls/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

    const inbound = await control('inbound', JSON.stringify({ from: CALLER, to: number, status_callback: `${app.url}/other-status` }));
    expect(inbound.status).toBe(200);
    expect(await inbound.json()).toMatchObject({ from: CALLER, to: number, status: 'busy' });
    expect(app.to('/other-status')).toHaveLength(1);

    const fromClient = await control(
      'client',
      JSON.stringify({
        identity: 'staff_3',
        to: '+15557654321',
        url: `${app.url}/client-voice`,
        params: { businessId: '9' },
        script: { dial: 'answer', answered_by: 'staff_2', talk_seconds: 5 },
      }),
    );
    expect(fromClient.status).toBe(200);
    const answered = (await fromClient.json()) as any;
    expect(answered).toMatchObject({ from: 'client:staff_3', status: 'completed', duration: 5 });
    expect(answered.legs.map((leg: any) => leg.status)).toEqual(['canceled', 'completed']);
    expect(app.to('/client-voice')[0].params.businessId).toBe('9');

    const listed = (await (await fetch(`${baseUrl}/sandbox/calls`)).json()) as any;
    expect(listed.calls.map((c: any) => c.sid)).toEqual(sandbox.calls().map((c) => c.sid));

    for (const [path, body] of [
      ['inbound', '{not json'],
      ['inbound', JSON.stringify({ from: CALLER })],
      ['inbound', JSON.stringify({ from: CALLER, to: number, script: { dial: 'maybe' } })],
      ['client', JSON.stringify({ identity: 'staff_1', to: number })],
    ]) {
      const bad = await control(path, body);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).error).toMatch(/^send JSON/);
    }
    const unknown = await control('inbound', JSON.stringify({ from: CALLER, to: '+15550000000' }));
    expect(unknown.status).toBe(404);
  });
});
