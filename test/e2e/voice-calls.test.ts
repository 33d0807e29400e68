import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import { Client, Conversation, Message, Staff } from '../../db/entities';
import { voiceCallStateQuery, type VoiceCallState } from '../../workflows/definitions';
import type { CallScript } from '../../sandbox/app';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually, postAsTwilio } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let em: () => EntityManager;

beforeAll(async () => {
  stack = await startTestStack();
  em = () => stack.orm.em.fork() as EntityManager;
});

afterAll(async () => {
  await stack?.close();
});

const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

/** Posts a webhook as Twilio does; the answer's status, content type and text. */
const twilioPost = (path: string, params: Record<string, string>, signature?: string) =>
  postAsTwilio(stack, path, params, { signature }).then((r) => ({ status: r.status, type: r.headers.get('content-type'), text: typeof r.body === 'string' ? r.body : '' }));

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, isArray: (name) => ['Client', 'Number', 'Say'].includes(name) });
const twiml = (text: string) => xml.parse(text).Response;

const voiceWebhook = (params: Record<string, string>, step?: string) => twilioPost(`/voice-calls/twiml${step ? `?step=${step}` : ''}`, params);
const statusCallback = (params: Record<string, string>) => twilioPost('/twilio/voice/status', params);

const settings = (tenant: Tenant, change: Record<string, unknown>) => api(stack.baseUrl, 'PATCH', `/businesses/${tenant.business.id}/settings`, { body: change });

const callLog = (callSid: string) => em().findOne(Message, { channel: 'voice', providerMessageId: callSid });
/** The call's workflow once it has settled the text-back (it then listens a while longer for late news). */
const afterTextBack = (callSid: string): Promise<VoiceCallState> =>
  eventually(() => stack.env.client.workflow.getHandle(`call-${callSid}`).query(voiceCallStateQuery), (state) => state.textBack !== null, 30_000);
const textsTo = (phone: string) => stack.sandbox.messages().filter((m) => m.to === phone);

/** A client's phone rings the location: the first webhook, for the call's TwiML. */
const callIn = (tenant: Tenant, from: string, callSid = newCallSid()) =>
  voiceWebhook({ CallSid: callSid, AccountSid: stack.config.twilio.accountSid, From: from, To: tenant.location.phoneNumber!, Direction: 'inbound', CallStatus: 'ringing' }).then((r) => ({ ...r, callSid }));

const twimlUrl = () => `${stack.baseUrl}/voice-calls/twiml`;
const statusUrl = () => `${stack.baseUrl}/twilio/voice/status`;

/** A client's phone calls the location through the sandbox, which plays our TwiML out as the script says. */
const phoneCall = (tenant: Tenant, from: string, script: CallScript) =>
  stack.sandbox.placeCall({ from, to: tenant.location.phoneNumber!, url: twimlUrl(), statusCallback: statusUrl(), script });

/** A staff member's browser calls a client through the sandbox's TwiML app. */
const browserCall = (staffId: number, to: string, script: CallScript) =>
  stack.sandbox.clientCall({ identity: `staff_${staffId}`, to, url: twimlUrl(), statusCallback: statusUrl(), script });

/** An inbound call nobody answers; the caller leaves a voicemail. */
const missCall = (tenant: Tenant, from: string) => phoneCall(tenant, from, { dial: 'no-answer', voicemailSeconds: 14 });

describe('POST /voice-calls/twiml', () => {
  test('a call to a business number rings every active staff browser of that location at once, then offers voicemail', async () => {
    const tenant = await createTenant(em());
    const colleague = new Staff({ businessId: tenant.business.id, firstName: 'Kai', locationIds: [tenant.location.id] });
    const former = Object.assign(new Staff({ businessId: tenant.business.id, firstName: 'Former', locationIds: [tenant.location.id] }), { isActive: false });
    const elsewhere = new Staff({ businessId: tenant.business.id, firstName: 'Elsewhere', locationIds: [] });
    await em().persistAndFlush([colleague, former, elsewhere]);

    const caller = uniquePhone();
    const answer = await callIn(tenant, caller);
    expect(answer.status).toBe(200);
    expect(answer.type).toContain('text/xml');
    const { Dial } = twiml(answer.text);
    expect(Dial).toMatchObject({ timeout: '20', answerOnBridge: 'true', action: `${stack.config.publicBaseUrl}/voice-calls/twiml?step=dial-ended`, method: 'POST' });
    expect(Dial.record).toBeUndefined();
    expect(Dial.Client.map((c: { '#text': string }) => c['#text'])).toEqual([`staff_${tenant.staff.id}`, `staff_${colleague.id}`]);
    for (const client of Dial.Client) {
      expect(client).toMatchObject({ statusCallback: `${stack.config.publicBaseUrl}/twilio/voice/status`, statusCallbackEvent: 'initiated ringing answered completed' });
    }

    const voicemail = twiml((await voiceWebhook({ CallSid: answer.callSid, From: caller, To: tenant.location.phoneNumber!, DialCallStatus: 'no-answer' }, 'dial-ended')).text);
    expect(voicemail.Say[0]).toContain(tenant.business.name);
    expect(voicemail.Record).toMatchObject({
      maxLength: '120',
      action: `${stack.config.publicBaseUrl}/voice-calls/twiml?step=voicemail-ended`,
      recordingStatusCallback: `${stack.config.publicBaseUrl}/twilio/voice/status`,
    });
    const goodbye = twiml((await voiceWebhook({ CallSid: answer.callSid, From: caller, To: tenant.location.phoneNumber! }, 'voicemail-ended')).text);
    expect(goodbye).toHaveProperty('Hangup');

    const answered = twiml((await voiceWebhook({ CallSid: answer.callSid, From: caller, To: tenant.location.phoneNumber!, DialCallStatus: 'completed' }, 'dial-ended')).text);
    expect(answered).toEqual({ Hangup: '' });
  });

  test('with no staff to ring, the caller goes straight to voicemail', async () => {
    const tenant = await createTenant(em());
    await em().nativeUpdate(Staff, { businessId: tenant.business.id }, { isActive: false });
    const { Dial, Record } = twiml((await callIn(tenant, uniquePhone())).text);
    expect(Dial).toBeUndefined();
    expect(Record).toBeDefined();
  });

  test('a staff browser calling a client dials from the location\'s number, recorded when the business turns recording on', async () => {
    const tenant = await createTenant(em());
    expect((await settings(tenant, { record_calls: true })).body.record_calls).toBe(true);
    const callSid = newCallSid();
    const answer = await voiceWebhook({ CallSid: callSid, From: `client:staff_${tenant.staff.id}`, To: tenant.client.phone!.replace('+1', ''), Direction: 'inbound' });
    expect(answer.status).toBe(200);
    const { Dial } = twiml(answer.text);
    expect(Dial).toMatchObject({
      callerId: tenant.location.phoneNumber,
      record: 'record-from-answer-dual',
      recordingStatusCallback: `${stack.config.publicBaseUrl}/twilio/voice/status`,
    });
    expect(Dial.Number).toEqual([
      { '#text': tenant.client.phone, statusCallback: `${stack.config.publicBaseUrl}/twilio/voice/status`, statusCallbackEvent: 'initiated ringing answered completed', statusCallbackMethod: 'POST' },
    ]);
    const log = await eventually(() => callLog(callSid), (m) => m !== null);
    expect(log).toMatchObject({ direction: 'outbound', status: 'QUEUED', clientId: tenant.client.id, staffId: tenant.staff.id, fromAddress: tenant.location.phoneNumber, toAddress: tenant.client.phone });
  });

  test('a number no business has, an inactive staff member and an undiallable number each hear a polite sentence, and nothing is logged', async () => {
    const tenant = await createTenant(em());
    const former = Object.assign(new Staff({ businessId: tenant.business.id, firstName: 'Former' }), { isActive: false });
    await em().persistAndFlush(former);
    const cases = [
      { From: uniquePhone(), To: uniquePhone() },
      { From: `client:staff_${former.id}`, To: uniquePhone() },
      { From: `client:staff_${tenant.staff.id}`, To: 'not a number' },
    ];
    for (const params of cases) {
      const callSid = newCallSid();
      const answer = twiml((await voiceWebhook({ CallSid: callSid, ...params })).text);
      expect(answer.Say[0]).toMatch(/^Sorry, /);
      expect(answer).toHaveProperty('Hangup');
      expect(answer.Dial).toBeUndefined();
      expect(await callLog(callSid)).toBeNull();
    }
  });

  test('a bad signature is a 403 on both webhooks and nothing is logged', async () => {
    const tenant = await createTenant(em());
    const callSid = newCallSid();
    const params = { CallSid: callSid, From: uniquePhone(), To: tenant.location.phoneNumber! };
    const forged = twilio.getExpectedTwilioSignature('not-the-auth-token', `${stack.config.publicBaseUrl}/voice-calls/twiml`, params);
    expect((await twilioPost('/voice-calls/twiml', params, forged)).status).toBe(403);
    expect((await twilioPost('/voice-calls/twiml', { ...params, To: uniquePhone() }, twilio.getExpectedTwilioSignature(stack.config.twilio.authToken, `${stack.config.publicBaseUrl}/voice-calls/twiml`, params))).status).toBe(403);
    expect((await twilioPost('/twilio/voice/status', { CallSid: callSid, CallStatus: 'completed' }, forged)).status).toBe(403);
    expect(await callLog(callSid)).toBeNull();
    expect((await twilioPost('/voice-calls/twiml', params, '')).status).toBe(403);
  });

  test('malformed webhooks are a 422', async () => {
    expect((await voiceWebhook({ CallSid: 'nope', From: uniquePhone(), To: uniquePhone() })).status).toBe(422);
    expect((await statusCallback({ CallSid: newCallSid() })).status).toBe(422);
    expect((await statusCallback({ CallSid: newCallSid(), CallStatus: 'exploded' })).status).toBe(422);
    expect((await twilioPost('/voice-calls/twiml?step=later', { CallSid: newCallSid(), From: uniquePhone() })).status).toBe(422);
  });
});

describe('POST /twilio/voice/status', () => {
  test('ringing → in-progress → completed gives one timeline entry with its duration; replays in any order change nothing; the call re-opens the conversation', async () => {
    const tenant = await createTenant(em());
    const caller = tenant.client.phone!;
    const conversation = new Conversation({ businessId: tenant.business.id, clientId: tenant.client.id, locationId: tenant.location.id });
    await em().persistAndFlush(conversation);
    const statusPath = `/businesses/${tenant.business.id}/clients/${tenant.client.id}/conversations/${conversation.id}/status`;
    expect((await api(stack.baseUrl, 'POST', statusPath, { body: { status: 'RESOLVED' } })).status).toBe(200);

    const { callSid } = await callIn(tenant, caller);
    const leg = { CallSid: newCallSid(), ParentCallSid: callSid, To: `client:staff_${tenant.staff.id}`, From: caller };
    const callbacks = [
      () => statusCallback({ ...leg, CallStatus: 'ringing' }),
      () => statusCallback({ ...leg, CallStatus: 'in-progress' }),
      () => statusCallback({ ...leg, CallStatus: 'completed', CallDuration: '95' }),
      () => voiceWebhook({ CallSid: callSid, From: caller, To: tenant.location.phoneNumber!, DialCallStatus: 'completed', DialCallDuration: '95' }, 'dial-ended'),
      () => statusCallback({ CallSid: callSid, CallStatus: 'completed', CallDuration: '101', From: caller, To: tenant.location.phoneNumber! }),
    ];
    for (const post of callbacks) expect((await post()).status).toBeLessThan(300);
    const expected = { status: 'completed', answered: true, answered_by_staff_id: tenant.staff.id, duration_s: 95, missed: false };
    await eventually(() => callLog(callSid), (m) => m?.call?.status === 'completed');

    for (const post of [...callbacks, ...callbacks].sort(() => Math.random() - 0.5)) await post();
    const timeline = await eventually(
      () => api(stack.baseUrl, 'GET', `/businesses/${tenant.business.id}/clients/${tenant.client.id}/conversations/${conversation.id}/messages`),
      (r) => r.body.items?.some((m: { channel: string }) => m.channel === 'voice'),
    );
    const calls = timeline.body.items.filter((m: { channel: string }) => m.channel === 'voice');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ direction: 'inbound', status: 'RECEIVED', provider_message_id: callSid, staff_id: tenant.staff.id, body: 'Incoming call · 1:35', call: expected });
    expect(await em().count(Message, { channel: 'voice', providerMessageId: callSid })).toBe(1);
    await eventually(() => em().findOneOrFail(Conversation, { id: conversation.id }), (c) => c.status === 'ACTIVE');
  });

  test('an outbound call nobody picks up is UNDELIVERED, and one answered is DELIVERED with its talk time', async () => {
    const tenant = await createTenant(em());
    for (const [outcome, status] of [['busy', 'UNDELIVERED'], ['completed', 'DELIVERED']] as const) {
      const callSid = newCallSid();
      await voiceWebhook({ CallSid: callSid, From: `client:staff_${tenant.staff.id}`, To: tenant.client.phone! });
      const leg = { CallSid: newCallSid(), ParentCallSid: callSid, To: tenant.client.phone! };
      await statusCallback({ ...leg, CallStatus: 'ringing' });
      if (outcome === 'completed') await statusCallback({ ...leg, CallStatus: 'in-progress' });
      await statusCallback({ ...leg, CallStatus: outcome, CallDuration: outcome === 'completed' ? '42' : '0' });
      await statusCallback({ CallSid: callSid, CallStatus: 'completed', CallDuration: '44' });
      const log = await eventually(() => callLog(callSid), (m) => m?.status === status);
      expect(log).toMatchObject({ status, body: outcome === 'busy' ? 'Outgoing call · busy' : 'Outgoing call · 0:42' });
      expect(log!.call).toMatchObject(outcome === 'busy' ? { status: 'busy', answered: false, missed: false } : { status: 'completed', duration_s: 42 });
    }
  });
});

describe('calls placed through the sandbox', () => {
  test('a client\'s call answered by the second of two ringing staff browsers: one entry, completed, who answered, the talk time', async () => {
    const tenant = await createTenant(em());
    const colleague = new Staff({ businessId: tenant.business.id, firstName: 'Kai', locationIds: [tenant.location.id] });
    await em().persistAndFlush(colleague);
    const call = await phoneCall(tenant, tenant.client.phone!, { dial: 'answer', answeredBy: `staff_${colleague.id}`, talkSeconds: 95 });
    expect(call.webhooks.every((w) => w.status === 200 || w.status === 204)).toBe(true);
    expect(call.legs.map((l) => [l.to, l.status])).toEqual([
      [`client:staff_${tenant.staff.id}`, 'canceled'],
      [`client:staff_${colleague.id}`, 'completed'],
    ]);

    const log = await eventually(() => callLog(call.sid), (m) => m?.call?.ended_at !== null && m?.call?.ended_at !== undefined);
    expect(log).toMatchObject({ direction: 'inbound', clientId: tenant.client.id, staffId: colleague.id, body: 'Incoming call · 1:35' });
    expect(log!.call).toMatchObject({ status: 'completed', answered_by_staff_id: colleague.id, duration_s: 95, missed: false, recording_url: null });
    expect(await em().count(Message, { channel: 'voice', clientId: tenant.client.id })).toBe(1);
  });

  test('a staff member\'s browser call to a client, recorded: DELIVERED, the talk time and the recording', async () => {
    const tenant = await createTenant(em());
    await settings(tenant, { record_calls: true });
    const call = await browserCall(tenant.staff.id, tenant.client.phone!, { dial: 'answer', talkSeconds: 61 });
    expect(call.legs).toEqual([expect.objectContaining({ to: tenant.client.phone, status: 'completed' })]);
    const log = await eventually(() => callLog(call.sid), (m) => m?.call?.recording_url !== null && m?.call?.recording_url !== undefined);
    expect(log).toMatchObject({ direction: 'outbound', status: 'DELIVERED', staffId: tenant.staff.id, fromAddress: tenant.location.phoneNumber, body: 'Outgoing call · 1:01' });
    expect(log!.call).toMatchObject({ status: 'completed', duration_s: 61, recording_url: call.recordings[0].url });
  });
});

describe('missed-call text-back', () => {
  test('a missed call with a voicemail gets one text-back after the delay, from the number called', async () => {
    const tenant = await createTenant(em());
    await settings(tenant, { missed_call_text_back: { body: 'Sorry we missed you! How can we help?', delay_seconds: 1 } });
    const caller = uniquePhone();
    const { sid: callSid, recordings } = await missCall(tenant, caller);

    const result = await afterTextBack(callSid);
    expect(result.textBack).toMatchObject({ queued: { status: 'PENDING' } });
    expect(result.call).toMatchObject({ status: 'no-answer', missed: true, voicemail_url: recordings[0].url, voicemail_duration_s: 14 });
    const texts = await eventually(() => Promise.resolve(textsTo(caller)), (m) => m.length > 0);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({ from: tenant.location.phoneNumber, body: 'Sorry we missed you! How can we help?' });
    const log = await callLog(callSid);
    expect(log).toMatchObject({ body: 'Missed call · voicemail 0:14' });
    expect(log!.call!.text_back_message_id).toBe((result.textBack as { queued: { messageId: number } }).queued.messageId);
    const client = await em().findOneOrFail(Client, { businessId: tenant.business.id, phone: caller });
    expect(log!.clientId).toBe(client.id);
  }, 60_000);

  test('no text-back when the client is called back before the delay, nor when the business has none', async () => {
    const tenant = await createTenant(em());
    await settings(tenant, { missed_call_text_back: { body: 'Sorry we missed you!', delay_seconds: 4 } });
    const caller = uniquePhone();
    const missed = await missCall(tenant, caller);
    await browserCall(tenant.staff.id, caller, { dial: 'answer', talkSeconds: 40 });
    expect((await afterTextBack(missed.sid)).textBack).toEqual({ skipped: 'called_since' });

    await settings(tenant, { missed_call_text_back: null });
    const other = uniquePhone();
    const second = await missCall(tenant, other);
    expect((await afterTextBack(second.sid)).textBack).toEqual({ skipped: 'off' });
    expect(textsTo(caller)).toHaveLength(0);
    expect(textsTo(other)).toHaveLength(0);
  }, 60_000);

  test('a caller who opted out of SMS is not texted: the text-back is CANCELED as OPTED_OUT', async () => {
    const tenant = await createTenant(em());
    await settings(tenant, { missed_call_text_back: { body: 'Sorry we missed you!', delay_seconds: 0 } });
    await em().nativeUpdate(Client, { id: tenant.client.id }, { smsOptOut: true });
    const { sid } = await missCall(tenant, tenant.client.phone!);
    const { textBack } = await afterTextBack(sid);
    expect(textBack).toMatchObject({ queued: { status: 'CANCELED' } });
    const text = await em().findOneOrFail(Message, { id: (textBack as { queued: { messageId: number } }).queued.messageId });
    expect(text).toMatchObject({ status: 'CANCELED', errorCode: 'OPTED_OUT', channel: 'sms' });
    expect(textsTo(tenant.client.phone!)).toHaveLength(0);
  }, 60_000);
});
