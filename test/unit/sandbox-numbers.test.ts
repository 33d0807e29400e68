import twilio from 'twilio';
import { twilioClientFor } from '../../activities/providers/twilio-base-url';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import {
  MAGIC_AREA_CODE_NONE_AVAILABLE,
  MAGIC_NUMBER_INVALID,
  MAGIC_NUMBER_UNAVAILABLE,
} from '../../sandbox/magic';

const creds = { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken };
const ACCOUNT_PATH = `/2010-04-01/Accounts/${creds.accountSid}`;
const BASIC = 'Basic ' + Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64');

/** A raw authenticated request, for status codes and JSON the client hides. */
async function raw(baseUrl: string, method: string, path: string, form?: Record<string, string>) {
  const res = await fetch(`${baseUrl}${ACCOUNT_PATH}${path}`, {
    method,
    headers: { Authorization: BASIC, ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** Counts of the handles a sandbox could leak: servers, sockets and timers. */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
  for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name] += 1;
  return counts;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Twilio's AvailablePhoneNumbers JSON spells the keys "voice", "SMS", "MMS" and the twilio client passes
 * that object through untouched, although its typings declare lower-case `sms` / `mms`.
 */
const caps = (n: { capabilities: object }) => n.capabilities as unknown as Record<'voice' | 'SMS' | 'MMS' | 'fax', boolean>;

describe('sandbox phone numbers (AvailablePhoneNumbers + IncomingPhoneNumbers) driven by the real twilio client', () => {
  let sandbox: Sandbox;
  let baseUrl: string;
  let client: twilio.Twilio;

  beforeAll(async () => {
    sandbox = createSandbox({ twilio: creds, callbackDelayMs: 20 });
    baseUrl = await sandbox.listen(0);
    client = twilioClientFor({ ...creds, baseUrl });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  describe('searching available numbers', () => {
    it('finds plausible local numbers in area code 415, the same ones for the same search', async () => {
      const numbers = await client.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 5 });
      expect(numbers).toHaveLength(5);
      for (const n of numbers) {
        expect(n.phoneNumber).toMatch(/^\+1415[2-9]\d{6}$/);
        expect(n.phoneNumber.slice(5, 8)).not.toBe('555');
        expect(n.friendlyName).toBe(`(415) ${n.phoneNumber.slice(5, 8)}-${n.phoneNumber.slice(8)}`);
        expect(n).toMatchObject({ locality: 'San Francisco', region: 'CA', isoCountry: 'US', addressRequirements: 'none', beta: false });
        expect(caps(n)).toEqual({ voice: expect.any(Boolean), SMS: expect.any(Boolean), MMS: expect.any(Boolean), fax: false });
      }
      expect(new Set(numbers.map((n) => n.phoneNumber)).size).toBe(5);
      const again = await client.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 5 });
      expect(again.map((n) => n.phoneNumber)).toEqual(numbers.map((n) => n.phoneNumber));
    });

    it('answers limit: 1 with one number (PageSize=1) in Twilio\'s envelope', async () => {
      expect(await client.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 1 })).toHaveLength(1);
      const { status, body } = await raw(baseUrl, 'GET', '/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize=2');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        available_phone_numbers: [expect.any(Object), expect.any(Object)],
        page: 0,
        page_size: 2,
        start: 0,
        end: 1,
        next_page_uri: null,
        previous_page_uri: null,
        uri: `${ACCOUNT_PATH}/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize=2`,
      });
      expect(Object.keys(body.available_phone_numbers[0]).sort()).toEqual(
        [
          'address_requirements', 'beta', 'capabilities', 'friendly_name', 'iso_country', 'lata', 'latitude',
          'locality', 'longitude', 'phone_number', 'postal_code', 'rate_center', 'region',
        ].sort(),
      );
    });

    it(`has nothing to offer in the magic area code ${MAGIC_AREA_CODE_NONE_AVAILABLE}`, async () => {
      expect(await client.availablePhoneNumbers('US').local.list({ areaCode: 555 })).toEqual([]);
      const { status, body } = await raw(baseUrl, 'GET', '/AvailablePhoneNumbers/US/Local.json?AreaCode=555');
      expect(status).toBe(200);
      expect(body.available_phone_numbers).toEqual([]);
    });

    it('filters on SmsEnabled and VoiceEnabled: true keeps numbers that have it, false filters nothing (like Twilio)', async () => {
      const local = client.availablePhoneNumbers('US').local;
      const all = await local.list({ areaCode: 212, limit: 40 });
      expect(all.some((n) => !caps(n).SMS) && all.some((n) => !caps(n).voice)).toBe(true);

      const sms = await local.list({ areaCode: 212, smsEnabled: true, limit: 30 });
      expect(sms).toHaveLength(30);
      expect(sms.every((n) => caps(n).SMS)).toBe(true);
      const voice = await local.list({ areaCode: 212, voiceEnabled: true, smsEnabled: true, limit: 30 });
      expect(voice.every((n) => caps(n).voice && caps(n).SMS)).toBe(true);
      expect((await local.list({ areaCode: 212, smsEnabled: false, limit: 40 })).map((n) => n.phoneNumber)).toEqual(
        all.map((n) => n.phoneNumber),
      );
      await expect(local.list({ areaCode: 212, smsEnabled: 'yes' as unknown as boolean })).rejects.toMatchObject({ status: 400 });
    });

    it('matches Contains patterns, letters as keypad digits and * as any digit', async () => {
      const storm = await client.availablePhoneNumbers('US').local.list({ contains: 'STORM', limit: 5 });
      expect(storm).toHaveLength(5);
      expect(storm.every((n) => n.phoneNumber.includes('78676'))).toBe(true);
      const wild = await client.availablePhoneNumbers('US').local.list({ areaCode: 617, contains: '42**7', limit: 5 });
      expect(wild).toHaveLength(5);
      expect(wild.every((n) => /^\+1617/.test(n.phoneNumber) && /42\d\d7/.test(n.phoneNumber))).toBe(true);
    });

    it('lists toll-free numbers under TollFree.json and none for a local area code there', async () => {
      const numbers = await client.availablePhoneNumbers('US').tollFree.list({ limit: 4 });
      expect(numbers).toHaveLength(4);
      expect(numbers.every((n) => /^\+18(00|33|44|55|66|77|88)/.test(n.phoneNumber) && n.locality === null)).toBe(true);
      expect(await client.availablePhoneNumbers('US').tollFree.list({ areaCode: 415 })).toEqual([]);
      expect((await client.availablePhoneNumbers('US').tollFree.list({ areaCode: 888, limit: 2 }))[0].phoneNumber).toMatch(/^\+1888/);
    });

    it('answers 404 for unsupported countries and 400 for a malformed AreaCode', async () => {
      await expect(client.availablePhoneNumbers('ZZ').local.list()).rejects.toMatchObject({ status: 404, code: 20404 });
      await expect(client.availablePhoneNumbers('US').local.list({ areaCode: 41 })).rejects.toMatchObject({ status: 400, code: 21451 });
      expect((await client.availablePhoneNumbers('CA').local.list({ areaCode: 416, limit: 1 }))[0]).toMatchObject({
        isoCountry: 'CA',
        locality: 'Toronto',
      });
    });
  });

  describe('buying and managing numbers', () => {
    const webhooks = {
      friendlyName: 'Tenant t1 main line',
      smsUrl: 'https://omega.test/twilio/sms?tenant=t1',
      smsMethod: 'POST',
      statusCallback: 'https://omega.test/twilio/status?tenant=t1',
      statusCallbackMethod: 'POST',
      voiceUrl: 'https://omega.test/twilio/voice?tenant=t1',
      voiceMethod: 'GET',
    };

    it('buys a searched number with webhooks; it shows in fetch and in the list filtered by PhoneNumber', async () => {
      const [available] = await client.availablePhoneNumbers('US').local.list({ areaCode: 415, smsEnabled: true, voiceEnabled: true, limit: 1 });
      const bought = await client.incomingPhoneNumbers.create({ phoneNumber: available.phoneNumber, ...webhooks });

      expect(bought.sid).toMatch(/^PN[0-9a-f]{32}$/);
      expect(bought).toMatchObject({
        accountSid: creds.accountSid,
        phoneNumber: available.phoneNumber,
        ...webhooks,
        voiceApplicationSid: null,
        capabilities: { voice: true, sms: true, mms: true, fax: false },
        apiVersion: '2010-04-01',
        status: 'in-use',
        uri: `${ACCOUNT_PATH}/IncomingPhoneNumbers/${bought.sid}.json`,
      });
      expect(bought.dateCreated).toBeInstanceOf(Date);
      expect(Number.isNaN(bought.dateCreated.getTime())).toBe(false);

      const fetched = await client.incomingPhoneNumbers(bought.sid).fetch();
      expect(fetched).toMatchObject({ sid: bought.sid, phoneNumber: available.phoneNumber, ...webhooks });
      const listed = await client.incomingPhoneNumbers.list({ phoneNumber: available.phoneNumber });
      expect(listed.map((n) => n.sid)).toEqual([bought.sid]);
      expect((await client.incomingPhoneNumbers.list()).map((n) => n.sid)).toContain(bought.sid);

      // Never offered again once bought.
      const after = await client.availablePhoneNumbers('US').local.list({ areaCode: 415, smsEnabled: true, voiceEnabled: true, limit: 50 });
      expect(after.map((n) => n.phoneNumber)).not.toContain(available.phoneNumber);

      expect(sandbox.phoneNumbers().find((n) => n.sid === bought.sid)).toMatchObject({
        phoneNumber: available.phoneNumber,
        smsUrl: webhooks.smsUrl,
        released: false,
        releasedAt: null,
        params: { PhoneNumber: available.phoneNumber, SmsUrl: webhooks.smsUrl },
      });
    });

    it('defaults the friendly name to the formatted number and unset webhooks to null / POST', async () => {
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '312' });
      expect(bought.phoneNumber).toMatch(/^\+1312/);
      expect(bought).toMatchObject({
        friendlyName: `(312) ${bought.phoneNumber.slice(5, 8)}-${bought.phoneNumber.slice(8)}`,
        smsUrl: null,
        smsMethod: 'POST',
        voiceUrl: null,
        statusCallback: null,
      });
    });

    it('updates webhooks, leaving the parameters it is not given alone, and clears one set to ""', async () => {
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '617', ...webhooks });
      const updated = await client.incomingPhoneNumbers(bought.sid).update({
        smsUrl: 'https://omega.test/twilio/sms?tenant=t2',
        smsMethod: 'get',
        voiceUrl: '',
      });
      expect(updated).toMatchObject({
        sid: bought.sid,
        smsUrl: 'https://omega.test/twilio/sms?tenant=t2',
        smsMethod: 'GET',
        voiceUrl: null,
        statusCallback: webhooks.statusCallback,
        friendlyName: webhooks.friendlyName,
      });
      expect((await client.incomingPhoneNumbers(bought.sid).fetch()).smsUrl).toBe('https://omega.test/twilio/sms?tenant=t2');
      expect(sandbox.phoneNumbers().find((n) => n.sid === bought.sid)?.dateUpdated.getTime()).toBeGreaterThanOrEqual(
        bought.dateCreated.getTime(),
      );
    });

    it('rejects webhook URLs that are not http(s) (21402) and methods other than GET/POST', async () => {
      await expect(client.incomingPhoneNumbers.create({ areaCode: '206', smsUrl: 'ftp://nope' })).rejects.toMatchObject({
        status: 400,
        code: 21402,
      });
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '206' });
      await expect(client.incomingPhoneNumbers(bought.sid).update({ voiceMethod: 'PUT' })).rejects.toMatchObject({ status: 400 });
      await expect(client.incomingPhoneNumbers(bought.sid).update({ voiceApplicationSid: 'AP123' })).rejects.toMatchObject({
        status: 400,
      });
    });

    it('releases a number: 204, then gone from Twilio but kept in phoneNumbers() flagged released', async () => {
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '512' });
      expect(await client.incomingPhoneNumbers(bought.sid).remove()).toBe(true);

      await expect(client.incomingPhoneNumbers(bought.sid).fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
      expect(await client.incomingPhoneNumbers.list({ phoneNumber: bought.phoneNumber })).toEqual([]);
      const record = sandbox.phoneNumbers().find((n) => n.sid === bought.sid);
      expect(record).toMatchObject({ released: true, phoneNumber: bought.phoneNumber });
      expect(record?.releasedAt).toBeInstanceOf(Date);

      const control = (await (await fetch(`${baseUrl}/sandbox/phone-numbers`)).json()) as any;
      expect(control.phoneNumbers.find((n: any) => n.sid === bought.sid)).toMatchObject({ released: true, releasedAt: expect.any(String) });

      // A released number is not recycled.
      await expect(client.incomingPhoneNumbers.create({ phoneNumber: bought.phoneNumber })).rejects.toMatchObject({ code: 21422 });
      expect(await raw(baseUrl, 'DELETE', `/IncomingPhoneNumbers/${bought.sid}.json`)).toMatchObject({ status: 404 });
    });

    it('answers DELETE with an empty 204', async () => {
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '303' });
      const res = await fetch(`${baseUrl}${ACCOUNT_PATH}/IncomingPhoneNumbers/${bought.sid}.json`, {
        method: 'DELETE',
        headers: { Authorization: BASIC },
      });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    });

    it('refuses to sell a number already owned: 400 code 21422', async () => {
      const [available] = await client.availablePhoneNumbers('US').local.list({ areaCode: 305, limit: 1 });
      await client.incomingPhoneNumbers.create({ phoneNumber: available.phoneNumber });
      const error = await client.incomingPhoneNumbers.create({ phoneNumber: available.phoneNumber }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(twilio.RestException);
      expect(error).toMatchObject({ status: 400, code: 21422, moreInfo: 'https://www.twilio.com/docs/errors/21422' });
      expect(sandbox.phoneNumbers().filter((n) => n.phoneNumber === available.phoneNumber)).toHaveLength(1);
    });

    it(`answers AreaCode ${MAGIC_AREA_CODE_NONE_AVAILABLE} with 400 code 21452 (no numbers found)`, async () => {
      const before = sandbox.phoneNumbers().length;
      await expect(client.incomingPhoneNumbers.create({ areaCode: MAGIC_AREA_CODE_NONE_AVAILABLE })).rejects.toMatchObject({
        status: 400,
        code: 21452,
        message: 'No phone numbers found in area code 555.',
      });
      expect(sandbox.phoneNumbers()).toHaveLength(before);
    });

    it(`answers the magic number ${MAGIC_NUMBER_UNAVAILABLE} with 21422 and ${MAGIC_NUMBER_INVALID} or non-E.164 with 21421`, async () => {
      await expect(client.incomingPhoneNumbers.create({ phoneNumber: MAGIC_NUMBER_UNAVAILABLE })).rejects.toMatchObject({
        status: 400,
        code: 21422,
      });
      await expect(client.incomingPhoneNumbers.create({ phoneNumber: MAGIC_NUMBER_INVALID })).rejects.toMatchObject({
        status: 400,
        code: 21421,
      });
      await expect(client.incomingPhoneNumbers.create({ phoneNumber: '415-555-0100' })).rejects.toMatchObject({ code: 21421 });
      expect(await raw(baseUrl, 'POST', '/IncomingPhoneNumbers.json', { FriendlyName: 'x' })).toMatchObject({
        status: 400,
        body: { code: 21421, status: 400 },
      });
      await expect(client.incomingPhoneNumbers.create({ areaCode: 'abc' })).rejects.toMatchObject({ code: 21451 });
    });

    it('answers unknown sids with 404 code 20404 for fetch, update and release', async () => {
      const unknown = client.incomingPhoneNumbers('PN' + '0'.repeat(32));
      await expect(unknown.fetch()).rejects.toMatchObject({ status: 404, code: 20404 });
      await expect(unknown.update({ smsUrl: 'https://omega.test/x' })).rejects.toMatchObject({ status: 404, code: 20404 });
      await expect(unknown.remove()).rejects.toMatchObject({ status: 404, code: 20404 });
    });

    it('pages the IncomingPhoneNumbers list oldest first', async () => {
      const held = await client.incomingPhoneNumbers.list();
      expect(held.length).toBeGreaterThan(2);
      const page = await client.incomingPhoneNumbers.page({ pageSize: 2 });
      expect(page.instances.map((n) => n.sid)).toEqual(held.slice(0, 2).map((n) => n.sid));
      expect((await client.incomingPhoneNumbers.list({ pageSize: 2 })).map((n) => n.sid)).toEqual(held.map((n) => n.sid));
      const { body } = await raw(baseUrl, 'GET', '/IncomingPhoneNumbers.json?PageSize=1');
      expect(Object.keys(body)).toContain('incoming_phone_numbers');
    });

    it('rejects bad credentials with 401 code 20003 on every phone-number route', async () => {
      const wrong = twilioClientFor({ accountSid: creds.accountSid, authToken: 'f'.repeat(32), baseUrl });
      const unauthorized = { status: 401, code: 20003, message: 'Authenticate' };
      await expect(wrong.availablePhoneNumbers('US').local.list({ areaCode: 415, limit: 1 })).rejects.toMatchObject(unauthorized);
      await expect(wrong.incomingPhoneNumbers.create({ areaCode: '415' })).rejects.toMatchObject(unauthorized);
      await expect(wrong.incomingPhoneNumbers.list()).rejects.toMatchObject(unauthorized);
      await expect(wrong.incomingPhoneNumbers('PN' + '0'.repeat(32)).remove()).rejects.toMatchObject(unauthorized);
      const anonymous = await fetch(`${baseUrl}${ACCOUNT_PATH}/AvailablePhoneNumbers/US/Local.json`);
      expect(anonymous.status).toBe(401);
    });
  });
});

describe('sandbox phone-number state', () => {
  it('reset() and POST /sandbox/reset forget purchased numbers (released ones too)', async () => {
    const sandbox = createSandbox({ twilio: creds });
    const baseUrl = await sandbox.listen(0);
    try {
      const client = twilioClientFor({ ...creds, baseUrl });
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '415' });
      await client.incomingPhoneNumbers.create({ areaCode: '416' });
      await client.incomingPhoneNumbers(bought.sid).remove();
      expect(sandbox.phoneNumbers().map((n) => n.released)).toEqual([true, false]);

      sandbox.reset();
      expect(sandbox.phoneNumbers()).toEqual([]);
      expect(await client.incomingPhoneNumbers.list()).toEqual([]);
      // After a reset the number is for sale again.
      expect((await client.incomingPhoneNumbers.create({ phoneNumber: bought.phoneNumber })).phoneNumber).toBe(bought.phoneNumber);

      expect((await fetch(`${baseUrl}/sandbox/reset`, { method: 'POST' })).status).toBe(200);
      expect(sandbox.phoneNumbers()).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });

  it('phoneNumbers() returns copies that cannot change the store', async () => {
    const sandbox = createSandbox({ twilio: creds });
    const baseUrl = await sandbox.listen(0);
    try {
      const client = twilioClientFor({ ...creds, baseUrl });
      const bought = await client.incomingPhoneNumbers.create({ areaCode: '206', smsUrl: 'https://omega.test/sms' });
      sandbox.phoneNumbers()[0].smsUrl = 'https://tampered.test';
      expect((await client.incomingPhoneNumbers(bought.sid).fetch()).smsUrl).toBe('https://omega.test/sms');
    } finally {
      await sandbox.close();
    }
  });

  it('close() leaves no server, socket or timer behind', async () => {
    await pause(50); // let earlier tests' sockets finish closing
    const before = handleCounts();
    const sandbox = createSandbox({ twilio: creds, callbackDelayMs: 60_000 });
    const baseUrl = await sandbox.listen(0);
    const client = twilioClientFor({ ...creds, baseUrl });
    await client.incomingPhoneNumbers.create({ areaCode: '415' });
    await client.messages.create({ to: '+15557654321', from: '+15550001111', body: 'pending for a minute' });
    await sandbox.close();
    await pause(50);
    expect(handleCounts()).toEqual(before);
    await expect(fetch(`${baseUrl}/sandbox/health`)).rejects.toThrow();
  });
});
