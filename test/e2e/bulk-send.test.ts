import type { EntityManager } from '@mikro-orm/postgresql';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

// A file of its own: the largest send of the suite runs beside the others rather than after them.
let stack: TestStack;
let tenant: Tenant;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const send = (body: Record<string, unknown>) => api(stack.baseUrl, 'POST', '/sms/send', { body: { business_id: tenant.business.id, ...body } });
const byRequest = (requestId: string) => api(stack.baseUrl, 'GET', `/messages/request/${encodeURIComponent(requestId)}`);

test('a bulk send to 1,000 recipients under one request_id makes 1,000 messages, each sent once; its repeat sends nothing', async () => {
  const phones = Array.from({ length: 1000 }, () => uniquePhone());
  const body = { recipients: phones.map((to) => ({ to })), body: 'Our summer hours start Monday', request_id: 'bulk-1000' };
  const accepted = await send(body);
  expect(accepted.status).toBe(202);
  expect(accepted.body.messages).toHaveLength(1000);
  expect(new Set(accepted.body.messages.map((m: { message_id: number }) => m.message_id)).size).toBe(1000);

  const all = await eventually(
    async () => (await byRequest('bulk-1000')).body.messages,
    (ms: { status: string }[]) => ms.every((m) => m.status === 'DELIVERED'),
    120_000,
  );
  expect(all).toHaveLength(1000);
  const sentTo = stack.sandbox.messages().filter((m) => m.body === body.body);
  expect(sentTo).toHaveLength(1000);

  const repeated = await send(body);
  expect(repeated.status).toBe(200);
  expect(repeated.body.messages.map((m: { message_id: number }) => m.message_id).sort()).toEqual(
    accepted.body.messages.map((m: { message_id: number }) => m.message_id).sort(),
  );
  expect(stack.sandbox.messages().filter((m) => m.body === body.body)).toHaveLength(1000);
}, 180_000);
