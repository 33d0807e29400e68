import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Staff } from '../../db/entities';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { createTenant, type Tenant } from '../support/factories';
import { api } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let tenant: Tenant;
let other: Tenant;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.orm.em.fork() as EntityManager);
  other = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const tokenFor = (businessId: number, staffId: number, headers: Record<string, string> = {}) =>
  api(stack.baseUrl, 'GET', `/voice-calls/token?business_id=${businessId}&staff_id=${staffId}`, Object.keys(headers).length ? { headers, key: null } : {});

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

test('an active staff member gets a signed Voice token: identity staff_<id>, the TwiML app, incoming allowed, one hour', async () => {
  const response = await tokenFor(tenant.business.id, tenant.staff.id);
  expect(response.status).toBe(200);
  const [header, payload, signature] = response.body.token.split('.');
  expect(decode(header)).toMatchObject({ alg: 'HS256', cty: 'twilio-fpa;v=1' });
  const expected = createHmac('sha256', SANDBOX_DEFAULTS.apiKeySecret).update(`${header}.${payload}`).digest('base64url');
  expect(signature).toBe(expected);
  const claims = decode(payload);
  expect(claims).toMatchObject({
    iss: SANDBOX_DEFAULTS.apiKeySid,
    sub: stack.config.twilio.accountSid,
    grants: { identity: `staff_${tenant.staff.id}`, voice: { outgoing: { application_sid: SANDBOX_DEFAULTS.twimlAppSid }, incoming: { allow: true } } },
  });
  expect(claims.exp - claims.iat).toBe(3600);
  expect(response.body).toMatchObject({ identity: `staff_${tenant.staff.id}`, expires_at: new Date(claims.exp * 1000).toISOString() });
});

test('no token for an inactive (409) or another business\'s (404) staff member, nor for another staff member from a staff session (403)', async () => {
  const em = stack.orm.em.fork() as EntityManager;
  const former = Object.assign(new Staff({ businessId: tenant.business.id, firstName: 'Former' }), { isActive: false });
  const colleague = new Staff({ businessId: tenant.business.id, firstName: 'Colleague' });
  await em.persistAndFlush([former, colleague]);
  expect((await tokenFor(tenant.business.id, former.id)).status).toBe(409);
  expect((await tokenFor(tenant.business.id, other.staff.id)).status).toBe(404);

  const key = await api(stack.baseUrl, 'POST', `/businesses/${tenant.business.id}/api-keys`, { body: { name: 'voice' } });
  const session = await api(stack.baseUrl, 'POST', '/auth/token', { key: key.body.api_key, body: { business_id: tenant.business.id, staff_id: tenant.staff.id } });
  const bearer = { Authorization: `Bearer ${session.body.access_token}` };
  expect((await tokenFor(tenant.business.id, tenant.staff.id, bearer)).status).toBe(200);
  expect((await tokenFor(tenant.business.id, colleague.id, bearer)).status).toBe(403);
});
