import type { EntityManager } from '@mikro-orm/postgresql';
import { recordInboundMessage } from '../../db/conversations';
import { Client, Conversation, Message, Staff } from '../../db/entities';
import { conversationWorkflowId, messageAddedSignal, type ConversationInput } from '../../workflows/definitions';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, eventually, type HttpResult } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let a: Tenant;
let b: Tenant;
let em: EntityManager;

const call = (method: string, path: string, body?: unknown, key?: string): Promise<HttpResult> => api(stack.baseUrl, method, path, { body, key });
const base = () => `/businesses/${a.business.id}`;
const conversationPath = (c: { id: number; clientId: number }) => `${base()}/clients/${c.clientId}/conversations/${c.id}`;

beforeAll(async () => {
  stack = await startTestStack();
  em = stack.orm.em.fork() as EntityManager;
  a = await createTenant(em);
  b = await createTenant(em);
});

afterAll(async () => {
  await stack?.close();
});

async function newClient(tenant: Tenant, props: Partial<Pick<Client, 'firstName' | 'lastName' | 'email'>> = {}): Promise<Client> {
  const client = new Client({ businessId: tenant.business.id, firstName: props.firstName ?? 'Casey', lastName: props.lastName ?? 'Jordan', phone: uniquePhone(), locationId: tenant.location.id });
  if (props.email) client.email = props.email;
  await em.fork().persistAndFlush(client);
  return client;
}

/** Opens a conversation for a new client of A over HTTP. */
async function openConversation(props: Parameters<typeof newClient>[1] = {}): Promise<Conversation> {
  const client = await newClient(a, props);
  const opened = await call('POST', `${base()}/clients/${client.id}/conversations`, { channel: 'sms' });
  expect(opened.status).toBe(201);
  return em.fork().findOneOrFail(Conversation, { id: opened.body.id });
}

const setStatus = (c: Conversation, status: string, extra: Record<string, unknown> = {}) => call('POST', `${conversationPath(c)}/status`, { status, ...extra });
const stored = (c: Conversation) => em.fork().findOneOrFail(Conversation, { id: c.id });
const history = async (c: Conversation) => (await call('GET', `${conversationPath(c)}/history?page_size=100`)).body.items as any[];

/** What the inbound path does: store the message, then tell the conversation's workflow (starting it if none runs). */
async function inbound(c: Conversation, body: string): Promise<Message> {
  const message = await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body, fromAddress: '+15550000000', toAddress: a.location.phoneNumber });
  await stack.env.client.workflow.signalWithStart('conversation', {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: conversationWorkflowId(c.id),
    args: [{ conversationId: c.id } satisfies ConversationInput],
    signal: messageAddedSignal,
    signalArgs: [{ messageId: message.id, direction: 'inbound', at: message.createdAt.toISOString() }],
  });
  return message;
}

describe('create or retrieve', () => {
  test("201 with a new conversation and its running workflow, then 200 with the same one; another business's client is a 404", async () => {
    const client = await newClient(a);
    const created = await call('POST', `${base()}/clients/${client.id}/conversations`, { channel: 'sms' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ business_id: a.business.id, status: 'ACTIVE', client: { id: client.id }, channels: ['sms'], unread_count: 0 });
    const again = await call('POST', `${base()}/clients/${client.id}/conversations`);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const described = await stack.env.client.workflow.getHandle(conversationWorkflowId(created.body.id)).describe();
    expect(described.status.name).toBe('RUNNING');

    const foreign = await newClient(b);
    expect((await call('POST', `${base()}/clients/${foreign.id}/conversations`)).status).toBe(404);
  });
});

describe('status', () => {
  test('moves by the table, answers as the seed does, keeps resolution details, and records every change with its actor', async () => {
    const c = await openConversation();
    const pending = await call('POST', `${conversationPath(c)}/status?status=pending`);
    expect(pending.status).toBe(200);
    expect(pending.body).toEqual({ conversation_id: c.id, status: 'PENDING', previous_status: 'ACTIVE', message: 'Conversation status updated' });

    const same = await setStatus(c, 'Pending');
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ status: 'PENDING', previous_status: 'PENDING', message: 'Conversation status unchanged' });

    const resolved = await setStatus(c, 'RESOLVED', { resolution_note: 'Booked for Friday', staff_id: a.staff.id });
    expect(resolved.body).toMatchObject({ status: 'RESOLVED', previous_status: 'PENDING' });
    const row = await stored(c);
    expect(row).toMatchObject({ status: 'RESOLVED', resolutionNote: 'Booked for Friday', resolvedByStaffId: a.staff.id });
    expect(row.resolvedAt).toBeInstanceOf(Date);

    expect((await setStatus(c, 'PENDING')).status).toBe(409);
    expect((await setStatus(c, 'ARCHIVED')).status).toBe(200);
    expect((await setStatus(c, 'RESOLVED')).status).toBe(409);
    expect((await setStatus(c, 'ACTIVE')).body).toMatchObject({ status: 'ACTIVE', previous_status: 'ARCHIVED' });
    expect(await stored(c)).toMatchObject({ status: 'ACTIVE', resolvedAt: null, resolutionNote: null });

    const events = await history(c);
    expect(events.map((e) => [e.from_status, e.to_status, e.actor.type])).toEqual([
      ['ACTIVE', 'PENDING', 'api'],
      ['PENDING', 'RESOLVED', 'staff'],
      ['RESOLVED', 'ARCHIVED', 'api'],
      ['ARCHIVED', 'ACTIVE', 'api'],
    ]);
    expect(events[1]).toMatchObject({ actor: { staff_id: a.staff.id }, resolution_note: 'Booked for Friday' });
  });

  test('refuses unknown words (422), a snooze without a future time (422), and moves outside the table (409) without changing anything', async () => {
    const c = await openConversation();
    const unknown = await setStatus(c, 'CLOSED');
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0].loc).toEqual(['body', 'status']);
    expect((await call('POST', `${conversationPath(c)}/status`)).status).toBe(422);
    expect((await setStatus(c, 'SNOOZED')).body.detail[0].loc).toEqual(['body', 'snooze_until']);
    expect((await setStatus(c, 'SNOOZED', { snooze_until: new Date(Date.now() - 1000).toISOString() })).status).toBe(422);
    expect((await setStatus(c, 'ARCHIVED')).status).toBe(409);
    expect((await stored(c)).status).toBe('ACTIVE');
    expect(await history(c)).toEqual([]);
  });

  test('a snooze keeps its time and ends by itself; a new inbound message re-opens a resolved conversation', async () => {
    const c = await openConversation();
    const until = new Date(Date.now() + 1500);
    expect((await setStatus(c, 'SNOOZED', { snooze_until: until.toISOString() })).status).toBe(200);
    expect((await stored(c)).snoozeUntil?.getTime()).toBe(until.getTime());
    await eventually(() => stored(c), (row) => row.status === 'ACTIVE', 20_000);
    expect((await history(c)).at(-1)).toMatchObject({ from_status: 'SNOOZED', to_status: 'ACTIVE', actor: { type: 'system', reason: 'snooze_expired' } });

    await setStatus(c, 'RESOLVED');
    await inbound(c, 'Are you open tomorrow?');
    await eventually(() => stored(c), (row) => row.status === 'ACTIVE');
    expect((await history(c)).at(-1)).toMatchObject({ from_status: 'RESOLVED', to_status: 'ACTIVE', actor: { type: 'system', reason: 'inbound_message' } });
  });

  test('concurrent changes are applied one at a time: the history is one unbroken chain and every refusal is a 409', async () => {
    const c = await openConversation();
    const targets = ['PENDING', 'RESOLVED', 'SNOOZED', 'ACTIVE', 'ARCHIVED', 'PENDING', 'RESOLVED', 'ACTIVE'];
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const responses = await Promise.all(targets.map((status) => setStatus(c, status, status === 'SNOOZED' ? { snooze_until: until } : {})));
    expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const events = await history(c);
    expect(events.length).toBe(responses.filter((r) => r.status === 200 && r.body.message === 'Conversation status updated').length);
    let current = 'ACTIVE';
    for (const event of events) {
      expect(event.from_status).toBe(current);
      current = event.to_status;
    }
    expect((await stored(c)).status).toBe(current);
  });
});

describe('assignment and notes', () => {
  test('assigns active staff of the business, unassigns, and refuses inactive (409) and foreign or unknown staff (404)', async () => {
    const c = await openConversation();
    const assigned = await call('POST', `${conversationPath(c)}/assign`, { staff_id: a.staff.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual({ conversation_id: c.id, assigned_staff_id: a.staff.id, message: 'Conversation assigned' });
    expect((await stored(c)).assignedStaffId).toBe(a.staff.id);

    const inactive = new Staff({ businessId: a.business.id, firstName: 'Former', lastName: 'Staff' });
    inactive.isActive = false;
    await em.fork().persistAndFlush(inactive);
    expect((await call('POST', `${conversationPath(c)}/assign`, { staff_id: inactive.id })).status).toBe(409);
    expect((await call('POST', `${conversationPath(c)}/assign`, { staff_id: b.staff.id })).status).toBe(404);
    expect((await call('POST', `${conversationPath(c)}/assign`, { staff_id: 999_999_999 })).status).toBe(404);
    expect((await stored(c)).assignedStaffId).toBe(a.staff.id);

    const unassigned = await call('POST', `${conversationPath(c)}/assign`, { staff_id: null });
    expect(unassigned.body).toMatchObject({ assigned_staff_id: null, message: 'Conversation unassigned' });
    const events = await history(c);
    expect(events.map((e) => [e.kind, e.from_staff_id, e.to_staff_id])).toEqual([
      ['assignment', null, a.staff.id],
      ['assignment', a.staff.id, null],
    ]);
  });

  test('a note is in the timeline (unless left out) and the history, with its author, and never counts as unread', async () => {
    const c = await openConversation();
    const note = await call('POST', `${conversationPath(c)}/notes`, { body: 'Prefers mornings <b>only</b>', staff_id: a.staff.id });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({ channel: 'note', direction: 'internal', status: 'RECORDED', staff_id: a.staff.id, is_read: true });
    const timeline = await call('GET', `${conversationPath(c)}/messages`);
    expect(timeline.body.items.map((m: any) => m.id)).toEqual([note.body.id]);
    expect((await call('GET', `${conversationPath(c)}/messages?include_notes=false`)).body.items).toEqual([]);
    expect((await history(c))[0]).toMatchObject({ kind: 'note', note: 'Prefers mornings <b>only</b>', message_id: note.body.id, actor: { type: 'staff', staff_id: a.staff.id } });
    expect((await stored(c)).unreadCount).toBe(0);
    expect((await call('POST', `${conversationPath(c)}/notes`, { body: '   ' })).status).toBe(422);
    expect((await call('POST', `${conversationPath(c)}/notes`, { body: 'x', staff_id: b.staff.id })).status).toBe(404);
  });
});

describe('read state', () => {
  test('unread counts stay right under concurrent inbound messages and reads', async () => {
    const c = await openConversation();
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: `message ${i}` }));
      if (i % 5 === 0) work.push(call('POST', `${conversationPath(c)}/read`, {}));
    }
    await Promise.all(work);
    const [{ unread }] = await em.fork().execute(`select count(*)::int as unread from messages where conversation_id = ? and direction = 'inbound' and not is_read`, [c.id]);
    const row = await stored(c);
    expect(row.unreadCount).toBe(unread);
    expect(row.lastMessagePreview).toMatch(/^message \d+$/);

    const read = await call('POST', `${conversationPath(c)}/read`, { is_read: true });
    expect(read.body).toEqual({ updated: unread, unread_count: 0 });
    const [oldest] = (await call('GET', `${conversationPath(c)}/messages?page_size=100`)).body.items.slice(-1);
    const markedUnread = await call('POST', `${conversationPath(c)}/read`, { is_read: false, message_ids: [oldest.id] });
    expect(markedUnread.body).toEqual({ updated: 1, unread_count: 1 });
    expect((await call('GET', `${conversationPath(c)}/messages?is_read=false`)).body.items.map((m: any) => m.id)).toEqual([oldest.id]);
  });
});

describe('lists', () => {
  test('timeline cursor pages concatenate to the whole timeline, newest first, while new messages arrive', async () => {
    const c = await openConversation();
    for (let i = 0; i < 23; i++) await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: `before ${i}` });
    const all = (await call('GET', `${conversationPath(c)}/messages?page_size=100`)).body.items.map((m: any) => m.id);
    expect(all).toHaveLength(23);

    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const page: HttpResult = await call('GET', `${conversationPath(c)}/messages?page_size=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      walked.push(...page.body.items.map((m: any) => m.id));
      cursor = page.body.next_cursor;
      await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: 'arrived while paging' });
    } while (cursor);
    expect(walked).toEqual(all);
    expect((await call('GET', `${conversationPath(c)}/messages?cursor=not-a-cursor`)).status).toBe(422);
  });

  test('conversation list: filters, sorts, page totals and cursor pages', async () => {
    const tenant = await createTenant(em.fork());
    const path = `/businesses/${tenant.business.id}/conversations`;
    const list = async (query: string) => (await call('GET', `${path}?${query}`)).body;
    const opened: Conversation[] = [];
    for (let i = 0; i < 7; i++) {
      const client = await newClient(tenant, { firstName: `Person${i}`, lastName: i === 3 ? 'Zimmerman' : 'Smith' });
      const response = await call('POST', `/businesses/${tenant.business.id}/clients/${client.id}/conversations`);
      opened.push(await em.fork().findOneOrFail(Conversation, { id: response.body.id }));
    }
    // Activity order: the last message makes a conversation newest.
    await recordInboundMessage(em.fork(), { conversation: opened[2], channel: 'sms', body: 'Can I move my facial appointment?' });
    await call('POST', `/businesses/${tenant.business.id}/clients/${opened[4].clientId}/conversations/${opened[4].id}/assign`, { staff_id: tenant.staff.id });
    await call('POST', `/businesses/${tenant.business.id}/clients/${opened[5].clientId}/conversations/${opened[5].id}/status`, { status: 'PENDING' });

    const newest = await list('page_size=3');
    expect(newest).toMatchObject({ total: 7, pages: 3, page: 1, page_size: 3 });
    expect(newest.items[0]).toMatchObject({ id: opened[2].id, unread_count: 1, last_message: { body: 'Can I move my facial appointment?', direction: 'inbound' } });

    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await list(`page_size=3${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.items.map((i: any) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    const byPages = [1, 2, 3].map((p) => list(`page_size=3&page=${p}`));
    expect(walked).toEqual((await Promise.all(byPages)).flatMap((p) => p.items.map((i: any) => i.id)));
    expect(new Set(walked).size).toBe(7);

    expect((await list('unread=true')).items.map((i: any) => i.id)).toEqual([opened[2].id]);
    expect((await list(`assigned_staff_id=${tenant.staff.id}`)).items.map((i: any) => i.id)).toEqual([opened[4].id]);
    expect((await list('unassigned=true')).total).toBe(6);
    expect((await list('status=pending')).items.map((i: any) => i.id)).toEqual([opened[5].id]);
    expect((await list('status=PENDING&status=ACTIVE')).total).toBe(7);
    expect((await list('status=ACTIVE,PENDING')).total).toBe(7);
    expect((await list('q=zimmer')).items.map((i: any) => i.id)).toEqual([opened[3].id]);
    expect((await list('q=appointments')).items.map((i: any) => i.id)).toEqual([opened[2].id]);
    expect((await list(`client_id=${opened[6].clientId}`)).items.map((i: any) => i.id)).toEqual([opened[6].id]);
    expect((await list('channel=email')).total).toBe(0);
    const oldestFirst = await list('sort=created_at&page_size=100');
    expect(oldestFirst.items.map((i: any) => i.id)).toEqual(opened.map((c) => c.id));
    expect((await call('GET', `${path}?status=CLOSED`)).status).toBe(422);
    expect((await call('GET', `${path}?sort=name`)).status).toBe(422);

    const filters = (await call('GET', `/businesses/${tenant.business.id}/conversations/filters`)).body;
    expect(filters.statuses).toContainEqual({ status: 'ACTIVE', count: 6 });
    expect(filters.statuses).toContainEqual({ status: 'PENDING', count: 1 });
    expect(filters.assignees).toEqual([{ staff_id: tenant.staff.id, first_name: tenant.staff.firstName, last_name: tenant.staff.lastName, count: 1 }]);
    expect(filters).toMatchObject({ unassigned: 6, mine: null, unread: { conversations: 1, messages: 1 } });
    expect(filters.channels).toEqual([{ channel: 'sms', count: 1 }]);
    expect(filters.locations).toEqual([{ location_id: tenant.location.id, name: tenant.location.name, count: 7 }]);
  });
});

describe('message search', () => {
  test('ranks full-text matches, highlights them in escaped HTML, matches addresses, and stays inside the conversation', async () => {
    const c = await openConversation();
    const other = await openConversation();
    const strong = await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: 'Massage booking: is the hot stone massage available for 2 & is 5 < 6?' });
    const weak = await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: 'Thanks for the massages last week, see you soon and have a lovely weekend everyone' });
    await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: 'Unrelated question about parking' });
    await recordInboundMessage(em.fork(), { conversation: other, channel: 'sms', body: 'massage massage massage' });

    const found = await call('GET', `/messages/search?conversation_id=${c.id}&q=massage`);
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(2);
    expect(found.body.items.map((i: any) => i.id)).toEqual([strong.id, weak.id]);
    expect(found.body.items[0].snippet).toContain('<mark>Massage</mark>');
    expect(found.body.items[0].snippet).toContain('2 &amp; is 5 &lt; 6');
    expect(found.body.items[1].snippet).toContain('<mark>massages</mark>');

    const phrase = await call('GET', `/messages/search?conversation_id=${c.id}&q=${encodeURIComponent('"hot stone"')}`);
    expect(phrase.body.items.map((i: any) => i.id)).toEqual([strong.id]);
    const fromPhone = uniquePhone();
    const signed = await recordInboundMessage(em.fork(), { conversation: c, channel: 'sms', body: 'See you then', fromAddress: fromPhone });
    const byAddress = await call('GET', `/messages/search?conversation_id=${c.id}&q=${fromPhone.slice(4)}`);
    expect(byAddress.body.items.map((i: any) => i.id)).toEqual([signed.id]);
    expect(byAddress.body.items[0]).toMatchObject({ rank: 0, snippet: 'See you then' });

    expect((await call('GET', `/messages/search?conversation_id=${c.id}&q=`)).status).toBe(422);
    expect((await call('GET', `/messages/search?q=massage`)).status).toBe(422);
  });
});

describe('settings', () => {
  test('the auto-resolve period and quiet hours can be read, changed and turned off', async () => {
    const path = `${base()}/settings`;
    expect((await call('GET', path)).body).toEqual({ auto_resolve_after_hours: 168, quiet_hours: null, record_calls: false, missed_call_text_back: null });
    expect((await call('PATCH', path, { auto_resolve_after_hours: 48 })).body).toEqual({ auto_resolve_after_hours: 48, quiet_hours: null, record_calls: false, missed_call_text_back: null });
    expect((await call('PATCH', path, { quiet_hours: { start: '21:00', end: '08:00' } })).body).toEqual({
      auto_resolve_after_hours: 48,
      quiet_hours: { start: '21:00', end: '08:00' },
      record_calls: false,
      missed_call_text_back: null,
    });
    expect((await call('PATCH', path, { auto_resolve_after_hours: null, quiet_hours: null })).body).toEqual({ auto_resolve_after_hours: null, quiet_hours: null, record_calls: false, missed_call_text_back: null });
    expect((await call('PATCH', path, { auto_resolve_after_hours: 0 })).status).toBe(422);
    expect((await call('PATCH', path, { quiet_hours: { start: '9pm', end: '08:00' } })).status).toBe(422);
    expect((await call('GET', path)).body).toEqual({ auto_resolve_after_hours: null, quiet_hours: null, record_calls: false, missed_call_text_back: null });
  });
});

