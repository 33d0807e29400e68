import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Location, Staff } from '../../db/entities';
import { MAGIC_AREA_CODE_NONE_AVAILABLE } from '../../sandbox/magic';
import { uniquePhone } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.close();
});

const call = (method: string, path: string, options: Parameters<typeof api>[3] = {}) => api(stack.baseUrl, method, path, options);

function onboardRequest(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Lotus Yoga Studio',
    timezone: 'America/Los_Angeles',
    locations: [
      { name: 'Mission', address: '1 Valencia St', area_code: '415' },
      { name: 'Oakland', phone_number: uniquePhone() },
    ],
    staff: [
      { first_name: 'Priya', last_name: 'Shah', email: 'Priya@Lotus.example', role: 'owner', location_indexes: [0, 1] },
      { first_name: 'Tom', last_name: 'Ng', location_indexes: [1] },
    ],
    clients: [
      { first_name: 'Ana', last_name: 'Lima', phone: '(415) 555-0101', location_index: 0 },
      { first_name: 'Ana', phone: '+1 415 555 0101', email: 'ana@example.com' },
      { first_name: 'Ben', email: 'BEN@example.com' },
      { first_name: 'Bad', phone: 'not a phone' },
      { first_name: 'Nobody' },
    ],
    email: { from_address: 'hello@lotus.example', from_name: 'Lotus Yoga' },
    ...overrides,
  };
}

async function finished(businessId: number, apiKey?: string) {
  return eventually(
    async () => (await call('GET', `/business/${businessId}/onboarding-status`, { key: apiKey })).body,
    (s) => s.status !== 'ONBOARDING',
    30_000,
  );
}

describe('onboarding a business', () => {
  test('goes through every step to ACTIVE, and its key then works for that business only', async () => {
    const request = onboardRequest();
    const started = await call('POST', '/business/onboard', { body: request });
    expect(started.status).toBe(202);
    const { business_id: businessId, api_key: apiKey, workflow_id: workflowId } = started.body;
    expect(started.body).toMatchObject({ status: 'ONBOARDING', workflow_id: `onboard-business-${businessId}` });
    expect(apiKey).toMatch(/^omk_/);

    const status = await finished(businessId);

    expect(status).toMatchObject({ status: 'ACTIVE', progress: 1, error: null, workflow_id: workflowId });
    expect(status.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['locations', 'COMPLETED'],
      ['staff', 'COMPLETED'],
      ['clients', 'COMPLETED'],
      ['phone_numbers', 'COMPLETED'],
      ['email_sender', 'COMPLETED'],
      ['api_key', 'COMPLETED'],
      ['activate', 'COMPLETED'],
    ]);
    const clientsStep = status.steps.find((s: { name: string }) => s.name === 'clients');
    expect(clientsStep.detail).toMatchObject({ imported: 2, merged: 1, rejected: 2 });
    expect(clientsStep.detail.rejected_rows.map((r: { row: number }) => r.row)).toEqual([3, 4]);

    const em = stack.orm.em.fork() as EntityManager;
    // The verified sender is the business's from now on: email can go out.
    expect(await em.findOneOrFail(Business, { id: businessId })).toMatchObject({ emailFromAddress: 'hello@lotus.example', emailFromName: 'Lotus Yoga' });
    const locations = await em.find(Location, { businessId }, { orderBy: { id: 'asc' } });
    expect(locations.map((l) => l.phoneNumber)).toEqual([expect.stringMatching(/^\+1415/), request.locations[1].phone_number]);
    const bought = stack.sandbox.phoneNumbers().filter((n) => locations.some((l) => l.phoneNumberSid === n.sid));
    expect(bought).toHaveLength(2);
    expect(bought[0]).toMatchObject({ smsUrl: `${stack.config.publicBaseUrl}/twilio/sms/incoming`, voiceUrl: `${stack.config.publicBaseUrl}/voice-calls/twiml` });
    const staff = await em.find(Staff, { businessId }, { orderBy: { id: 'asc' } });
    expect(staff.map((s) => [s.email, s.locationIds])).toEqual([
      ['priya@lotus.example', [locations[0].id, locations[1].id]],
      [null, [locations[1].id]],
    ]);
    const clients = await em.find(Client, { businessId }, { orderBy: { id: 'asc' } });
    expect(clients.map((c) => [c.firstName, c.lastName, c.phone, c.email])).toEqual([
      ['Ana', 'Lima', '+14155550101', 'ana@example.com'],
      ['Ben', '', null, 'ben@example.com'],
    ]);

    expect((await call('GET', `/business/${businessId}/onboarding-status`, { key: apiKey })).status).toBe(200);
    expect((await call('GET', `/businesses/${businessId}/api-keys`, { key: apiKey })).status).toBe(200);
    expect((await call('GET', `/business/${businessId + 1}/onboarding-status`, { key: apiKey })).status).toBe(403);
  });

  test('a step that fails releases the numbers already bought, revokes the key, and ends FAILED with its error', async () => {
    const started = await call('POST', '/business/onboard', {
      body: onboardRequest({ email: { from_address: 'hello@invalid.example', from_name: 'Nope' } }),
    });
    const { business_id: businessId, api_key: apiKey } = started.body;

    const status = await finished(businessId);

    expect(status.status).toBe('FAILED');
    expect(status.error).toMatch(/from_email|invalid/i);
    const byName = Object.fromEntries(status.steps.map((s: { name: string; status: string }) => [s.name, s.status]));
    expect(byName).toMatchObject({ phone_numbers: 'COMPENSATED', email_sender: 'FAILED', api_key: 'PENDING', activate: 'PENDING' });
    const locations = await stack.orm.em.fork().find(Location, { businessId });
    expect(locations.every((l) => l.phoneNumber === null && l.phoneNumberSid === null)).toBe(true);
    const released = stack.sandbox.phoneNumbers().filter((n) => n.friendlyName?.startsWith('omega location') && locations.some((l) => n.friendlyName === `omega location ${l.id}`));
    expect(released).toHaveLength(2);
    expect(released.every((n) => n.released)).toBe(true);
    expect((await call('GET', `/businesses/${businessId}/api-keys`, { key: apiKey })).status).toBe(401);
  });

  test('an area code with no numbers fails the number step and gives back what that step bought', async () => {
    const started = await call('POST', '/business/onboard', {
      body: onboardRequest({ locations: [{ name: 'First', phone_number: uniquePhone() }, { name: 'Second', area_code: MAGIC_AREA_CODE_NONE_AVAILABLE }], staff: [], email: undefined }),
    });

    const status = await finished(started.body.business_id);

    expect(status.status).toBe('FAILED');
    expect(status.steps.find((s: { name: string }) => s.name === 'phone_numbers')).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/555/) });
    const locations = await stack.orm.em.fork().find(Location, { businessId: started.body.business_id });
    expect(locations.every((l) => l.phoneNumber === null)).toBe(true);
  });

  test('importing 10,000 clients shows progress while it runs and keeps the workflow history small', async () => {
    const clients = Array.from({ length: 10_000 }, (_, i) => ({ first_name: `Client ${i}`, phone: `+1628${String(2_000_000 + i)}` }));
    const started = await call('POST', '/business/onboard', { body: onboardRequest({ clients, locations: [{ name: 'Only' }], staff: [], email: undefined }) });
    expect(started.status).toBe(202);

    const seen: number[] = [];
    const status = await eventually(
      async () => {
        const s = (await call('GET', `/business/${started.body.business_id}/onboarding-status`)).body;
        seen.push(s.progress);
        return s;
      },
      (s) => s.status !== 'ONBOARDING',
      60_000,
    );

    expect(status.status).toBe('ACTIVE');
    expect(status.steps.find((s: { name: string }) => s.name === 'clients').detail).toMatchObject({ imported: 10_000, batches: 20, batches_done: 20 });
    expect(seen.some((p) => p > 0 && p < 1)).toBe(true);
    expect(await stack.orm.em.fork().count(Client, { businessId: started.body.business_id })).toBe(10_000);
    const history = await stack.env.client.workflow.getHandle(started.body.workflow_id).fetchHistory();
    expect(history.events!.length).toBeLessThan(200);
  });

  test('only the admin key may onboard, and a bad request is a 422 naming each bad field', async () => {
    const issued = await call('POST', '/businesses/1/api-keys', { body: {} });
    const asBusiness = await call('POST', '/business/onboard', { key: issued.body.api_key, body: onboardRequest() });
    const bad = await call('POST', '/business/onboard', {
      body: onboardRequest({ timezone: 'Mars/Olympus', staff: [{ first_name: 'X', location_indexes: [7] }], locations: [{ name: 'A', area_code: '12' }] }),
    });

    expect(asBusiness.status).toBe(403);
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual(
      expect.arrayContaining([['body', 'timezone'], ['body', 'locations', 0, 'area_code'], ['body', 'staff', 0, 'location_indexes', 0]]),
    );
  });
});
