import type { EntityManager } from '@mikro-orm/postgresql';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

const RATE = 4; // segments per second per long code

let stack: TestStack;
let busy: Tenant;
let quiet: Tenant;

beforeAll(async () => {
  stack = await startTestStack({ smsRateLongCode: RATE });
  busy = await createTenant(stack.orm.em.fork() as EntityManager);
  quiet = await createTenant(stack.orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await stack?.close();
});

const createdAt = (from: string) =>
  stack.sandbox
    .messages()
    .filter((m) => m.from === from)
    .map((m) => m.dateCreated.getTime())
    .sort((x, y) => x - y);

test('sends from one number keep its pace, waiting durably and saying why, without holding up another number', async () => {
  const count = 8;
  const sends = await api(stack.baseUrl, 'POST', '/sms/send', {
    body: { business_id: busy.business.id, recipients: Array.from({ length: count }, () => ({ to: uniquePhone() })), body: 'Flash sale today', request_id: 'paced-bulk' },
  });
  expect(sends.status).toBe(202);
  const other = await api(stack.baseUrl, 'POST', '/sms/send', { body: { business_id: quiet.business.id, to: uniquePhone(), body: 'Hello', request_id: 'unpaced' } });

  const held = await eventually(
    async () => (await api(stack.baseUrl, 'GET', '/messages/request/paced-bulk')).body.messages as any[],
    (messages) => messages.some((m) => m.hold?.reason === 'pacing'),
  );
  expect(held.filter((m) => m.hold?.reason === 'pacing').length).toBeGreaterThan(0);
  expect(other.status).toBe(202);
  await eventually(async () => (await api(stack.baseUrl, 'GET', '/messages/request/unpaced')).body.messages[0].status, (s) => s === 'DELIVERED', 3_000);

  const delivered = await eventually(
    async () => (await api(stack.baseUrl, 'GET', '/messages/request/paced-bulk')).body.messages as any[],
    (messages) => messages.every((m) => m.status === 'DELIVERED'),
    20_000,
  );
  expect(delivered.every((m) => m.hold === null)).toBe(true);
  const times = createdAt(busy.location.phoneNumber!);
  expect(times).toHaveLength(count);
  // The other number's message was not queued behind the busy one: it went out before the busy number's last.
  expect(createdAt(quiet.location.phoneNumber!)[0]).toBeLessThan(times[count - 1]);
  // The number's slots were handed out 1/RATE s apart, the last ending at next_free_at: the k-th
  // send may go late (timers), never before its slot.
  const [{ next_free_at: nextFree }] = await stack.orm.em.fork().execute('select next_free_at from sender_pacing where from_address = ?', [busy.location.phoneNumber]);
  const slotMs = 1000 / RATE;
  const slots = times.map((_, k) => new Date(nextFree).getTime() - (count - k) * slotMs);
  times.forEach((t, k) => expect(t).toBeGreaterThanOrEqual(slots[k] - 60));
});
