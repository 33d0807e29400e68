import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, Session } from '../../db/entities';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let mine: Tenant;
let theirs: Tenant;

beforeAll(async () => {
  stack = await startTestStack();
  mine = await createTenant(stack.orm.em.fork() as EntityManager);
  theirs = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const call = (method: string, path: string, options: Parameters<typeof api>[3] = {}) => api(stack.baseUrl, method, path, options);

async function issueKey(businessId: number): Promise<{ id: number; api_key: string }> {
  const issued = await call('POST', `/businesses/${businessId}/api-keys`, { body: { name: 'front desk' } });
  expect(issued.status).toBe(201);
  return issued.body;
}

describe('business API keys', () => {
  test('an issued key is shown once, stored only as a hash, and works for its own business', async () => {
    const issued = await issueKey(mine.business.id);

    expect(issued.api_key).toMatch(/^omk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = await stack.orm.em.fork().findOneOrFail(ApiKey, { id: issued.id });
    expect(stored.secretHash).not.toContain(issued.api_key);
    expect(JSON.stringify(stored)).not.toContain(issued.api_key.slice('omk_'.length + 13));
    const listed = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: issued.api_key });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(issued.api_key);
  });

  test('a business key may not name another business: 403, and nothing is sent', async () => {
    const { api_key } = await issueKey(mine.business.id);

    const send = await call('POST', '/sms/send', { key: api_key, body: { business_id: theirs.business.id, to: uniquePhone(), body: 'hi' } });
    const keys = await call('GET', `/businesses/${theirs.business.id}/api-keys`, { key: api_key });

    expect(send.status).toBe(403);
    expect(keys.status).toBe(403);
    expect(stack.sandbox.messages()).toHaveLength(0);
  });

  test('a business key only sees the messages of its own business by request id', async () => {
    const { api_key } = await issueKey(theirs.business.id);
    await call('POST', '/sms/send', { body: { business_id: mine.business.id, to: uniquePhone(), body: 'hi', request_id: 'scoped-1' } });

    const seen = await call('GET', '/messages/request/scoped-1', { key: api_key });

    expect(seen.status).toBe(404);
  });

  test('a revoked key answers 401 at once, and its record stays', async () => {
    const issued = await issueKey(mine.business.id);
    expect((await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: issued.api_key })).status).toBe(200);

    const revoked = await call('DELETE', `/businesses/${mine.business.id}/api-keys/${issued.id}`);
    const after = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: issued.api_key });

    expect(revoked.body).toMatchObject({ state: 'REVOKED', revoked_at: expect.any(String) });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
  });

  test('another business\'s key id under this business answers 404', async () => {
    const theirKey = await issueKey(theirs.business.id);

    const response = await call('DELETE', `/businesses/${mine.business.id}/api-keys/${theirKey.id}`);

    expect(response.status).toBe(404);
    expect((await stack.orm.em.fork().findOneOrFail(ApiKey, { id: theirKey.id })).state).toBe('ACTIVE');
  });

  test('a key of our format that was never issued is a 401', async () => {
    const response = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: `omk_${'a'.repeat(12)}_${'b'.repeat(43)}` });
    expect(response.status).toBe(401);
  });

  test('using a key records when it was last used', async () => {
    const issued = await issueKey(mine.business.id);
    await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: issued.api_key });

    const stored = await stack.orm.em.fork().findOneOrFail(ApiKey, { id: issued.id });
    expect(stored.lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('sessions', () => {
  async function openSession(body: Record<string, unknown>, key?: string) {
    return call('POST', '/auth/token', { key, body: { business_id: mine.business.id, ...body } });
  }

  test('a session token works as a bearer token and as the HttpOnly SameSite=Lax cookie', async () => {
    const opened = await openSession({ staff_id: mine.staff.id, ttl_seconds: 600 });

    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ token_type: 'bearer', business_id: mine.business.id, staff_id: mine.staff.id });
    const cookie = opened.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^omega_session=oms_/);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(cookie).not.toMatch(/secure/i);

    const bearer = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: null, headers: { Authorization: `Bearer ${opened.body.access_token}` } });
    const byCookie = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: null, headers: { Cookie: `omega_session=${opened.body.access_token}` } });
    const otherTenant = await call('GET', `/businesses/${theirs.business.id}/api-keys`, { key: null, headers: { Authorization: `Bearer ${opened.body.access_token}` } });

    expect([bearer.status, byCookie.status, otherTenant.status]).toEqual([200, 200, 403]);
  });

  test('an expired session answers 401', async () => {
    const opened = await openSession({ ttl_seconds: 60 });
    const em = stack.orm.em.fork();
    const session = await em.findOneOrFail(Session, { businessId: mine.business.id }, { orderBy: { id: 'desc' } });
    session.expiresAt = new Date(Date.now() - 1000);
    await em.flush();

    const response = await call('GET', `/businesses/${mine.business.id}/api-keys`, { key: null, headers: { Authorization: `Bearer ${opened.body.access_token}` } });

    expect(response.status).toBe(401);
  });

  test('POST /session/expire revokes the session at once and clears the cookie', async () => {
    const opened = await openSession({});
    const auth = { key: null, headers: { Cookie: `omega_session=${opened.body.access_token}` } };

    const expired = await call('POST', '/session/expire', auth);
    const after = await call('GET', `/businesses/${mine.business.id}/api-keys`, auth);
    const again = await call('POST', '/session/expire', auth);

    expect(expired.status).toBe(200);
    expect(expired.headers.get('set-cookie')).toMatch(/omega_session=;/);
    expect(after.status).toBe(401);
    expect(again.status).toBe(401);
  });

  test('a business key may open sessions only for its own business, and only for its active staff', async () => {
    const { api_key } = await issueKey(mine.business.id);

    const foreign = await call('POST', '/auth/token', { key: api_key, body: { business_id: theirs.business.id } });
    const foreignStaff = await call('POST', '/auth/token', { key: api_key, body: { business_id: mine.business.id, staff_id: theirs.staff.id } });
    const tooLong = await call('POST', '/auth/token', { key: api_key, body: { business_id: mine.business.id, ttl_seconds: 8 * 24 * 3600 } });

    expect([foreign.status, foreignStaff.status, tooLong.status]).toEqual([403, 404, 422]);
  });

  test('no credentials at all is a 401 that says what to send', async () => {
    const response = await call('POST', '/auth/token', { key: null, body: { business_id: mine.business.id } });
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/X-API-KEY/);
  });
});
