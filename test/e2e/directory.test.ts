import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, Conversation, Location, Message, Staff, type ConversationStatus } from '../../db/entities';
import type { Channel, Direction } from '../../db/message-status';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

const HOUR = 3_600_000;
const NO_SUCH_ID = 999_999_999_999;

let stack: TestStack;
let a: Tenant;
let b: Tenant;
let uptown: Location;
let clients: Record<'ada' | 'al' | 'zed' | 'zed2' | 'pure' | 'una' | 'uma' | 'pat', Client>;
let staff: Record<'alex' | 'casey' | 'dana', Staff>;
let conversations: Record<'patOpen' | 'patEmpty' | 'patOld' | 'adaPending' | 'alSnoozed' | 'zedResolved' | 'zed2OtherStaff', Conversation>;
const now = Date.now();
const adaPhone = uniquePhone();
const alexPhone = uniquePhone();

const get = (path: string) => api(stack.baseUrl, 'GET', path);
const names = (items: { first_name: string; last_name: string }[]) => items.map((i) => `${i.first_name} ${i.last_name}`);
/** `+14155550199` as a person types it: `(415) 555-0199`. */
const asTyped = (e164: string) => `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;

function conversation(
  client: Client,
  fields: { status: ConversationStatus; createdAt: Date; lastMessageAt?: Date; assignedStaffId?: number; unreadCount?: number; preview?: string },
): Conversation {
  const c = new Conversation({ businessId: client.businessId, clientId: client.id, locationId: client.locationId });
  return Object.assign(c, {
    status: fields.status,
    createdAt: fields.createdAt,
    updatedAt: fields.lastMessageAt ?? fields.createdAt,
    assignedStaffId: fields.assignedStaffId ?? null,
    unreadCount: fields.unreadCount ?? 0,
    lastMessageAt: fields.lastMessageAt ?? null,
    lastMessagePreview: fields.lastMessageAt ? (fields.preview ?? 'Hello') : null,
    lastMessageChannel: fields.lastMessageAt ? 'sms' : null,
    lastMessageDirection: fields.lastMessageAt ? 'inbound' : null,
  });
}

function message(c: Conversation, channel: Channel, direction: Direction, at: Date): Message {
  return Object.assign(new Message(), {
    businessId: c.businessId,
    conversationId: c.id,
    clientId: c.clientId,
    channel,
    direction,
    status: direction === 'inbound' ? 'RECEIVED' : direction === 'internal' ? 'RECORDED' : 'DELIVERED',
    body: 'Text',
    createdAt: at,
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  const em = stack.orm.em.fork() as EntityManager;
  a = await createTenant(em);
  b = await createTenant(em);

  uptown = new Location({ businessId: a.business.id, name: 'Uptown', address: '1 High St', timezone: 'America/New_York', email: 'uptown@example.com' });
  await em.persistAndFlush(uptown);

  const client = (props: ConstructorParameters<typeof Client>[0], optOut: { sms?: boolean; email?: boolean } = {}) =>
    Object.assign(new Client(props), { smsOptOut: optOut.sms ?? false, emailOptOut: optOut.email ?? false });
  const businessId = a.business.id;
  clients = {
    ada: client({ businessId, firstName: 'Ada', lastName: 'adams', email: 'Ada.Adams@Example.com', phone: adaPhone, locationId: a.location.id }),
    al: client({ businessId, firstName: 'Al', lastName: 'Baker', locationId: uptown.id }, { sms: true }),
    zed: client({ businessId, firstName: 'Zed', lastName: 'Baker' }, { email: true }),
    zed2: client({ businessId, firstName: 'Zed', lastName: 'Baker', email: 'zed2@example.com' }),
    pure: client({ businessId, firstName: '100%', lastName: 'Pure', email: 'pure@example.com' }),
    una: client({ businessId, firstName: 'Una', lastName: 'Score', email: 'u_s@example.com' }),
    uma: client({ businessId, firstName: 'Uma', lastName: 'Plain', email: 'uxs@example.com' }),
    pat: client({ businessId, firstName: 'Pat', lastName: 'Profile', phone: uniquePhone() }),
  };
  staff = {
    alex: new Staff({ businessId, firstName: 'Alex', lastName: 'Baker', email: 'ALEX.Baker@Example.com', phone: alexPhone, locationIds: [uptown.id] }),
    casey: Object.assign(new Staff({ businessId, firstName: 'Casey', lastName: 'Baker', email: 'c_b@example.com', locationIds: [a.location.id] }), {
      isActive: false,
    }),
    dana: new Staff({ businessId, firstName: 'Dana', lastName: 'Cole', email: 'cxb@example.com', locationIds: [a.location.id] }),
  };
  a.staff.locationIds = [a.location.id, uptown.id];
  await em.persistAndFlush([...Object.values(clients), ...Object.values(staff)]);

  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
  const sam = a.staff.id;
  conversations = {
    patOld: conversation(clients.pat, { status: 'ARCHIVED', createdAt: at(72), lastMessageAt: at(48), assignedStaffId: sam, unreadCount: 1 }),
    patEmpty: conversation(clients.pat, { status: 'ARCHIVED', createdAt: at(24) }),
    patOpen: conversation(clients.pat, { status: 'ACTIVE', createdAt: at(2), lastMessageAt: at(1), assignedStaffId: sam, unreadCount: 2, preview: 'See you at 3' }),
    adaPending: conversation(clients.ada, { status: 'PENDING', createdAt: at(5), lastMessageAt: at(0.5), assignedStaffId: sam }),
    alSnoozed: conversation(clients.al, { status: 'SNOOZED', createdAt: at(3), assignedStaffId: sam }),
    zedResolved: conversation(clients.zed, { status: 'RESOLVED', createdAt: at(1), lastMessageAt: at(0.1), assignedStaffId: sam }),
    zed2OtherStaff: conversation(clients.zed2, { status: 'ACTIVE', createdAt: at(1), lastMessageAt: at(0.2), assignedStaffId: staff.alex.id }),
  };
  await em.persistAndFlush(Object.values(conversations));

  const robinsConversation = conversation(a.client, { status: 'ACTIVE', createdAt: at(6) });
  await em.persistAndFlush(robinsConversation);
  em.persist([
    message(conversations.patOld, 'sms', 'inbound', at(49)),
    message(conversations.patOld, 'sms', 'outbound', at(48)),
    message(conversations.patOpen, 'sms', 'inbound', at(1.5)),
    message(conversations.patOpen, 'email', 'outbound', at(1.2)),
    message(conversations.patOpen, 'note', 'internal', at(1.1)),
    message(conversations.patOpen, 'sms', 'inbound', at(1)),
    message(robinsConversation, 'sms', 'inbound', at(6)),
  ]);
  await em.flush();
});

afterAll(async () => {
  await stack?.close();
});

describe('GET /businesses/{business_id}/locations', () => {
  test('lists the business\'s own locations in id order with every location field', async () => {
    const response = await get(`/businesses/${a.business.id}/locations`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [
        { id: a.location.id, name: 'Main', address: null, timezone: 'America/Chicago', phone_number: a.location.phoneNumber, email: null },
        { id: uptown.id, name: 'Uptown', address: '1 High St', timezone: 'America/New_York', phone_number: null, email: 'uptown@example.com' },
      ],
      page: 1,
      page_size: 20,
      total: 2,
      pages: 1,
    });
  });

  test('pages through the locations: page 2 of size 1 holds the second, page 3 is empty', async () => {
    const second = await get(`/businesses/${a.business.id}/locations?page=2&page_size=1`);
    const beyond = await get(`/businesses/${a.business.id}/locations?page=3&page_size=1`);

    expect(second.body).toEqual({ items: [expect.objectContaining({ id: uptown.id })], page: 2, page_size: 1, total: 2, pages: 2 });
    expect(beyond.body).toEqual({ items: [], page: 3, page_size: 1, total: 2, pages: 2 });
  });

  test('an unknown business is a 404 with a detail', async () => {
    const response = await get(`/businesses/${NO_SUCH_ID}/locations`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });
});

describe('GET /businesses/{business_id}/clients', () => {
  const list = (query = '') => get(`/businesses/${a.business.id}/clients${query}`);

  test('lists the business\'s clients by last name (case-insensitively), first name, then id', async () => {
    const response = await list();

    expect(response.status).toBe(200);
    expect(response.body.items.map((c: { id: number }) => c.id)).toEqual([
      clients.ada.id,
      clients.al.id,
      clients.zed.id,
      clients.zed2.id,
      a.client.id,
      clients.uma.id,
      clients.pat.id,
      clients.pure.id,
      clients.una.id,
    ]);
    expect(response.body).toMatchObject({ page: 1, page_size: 20, total: 9, pages: 1 });
  });

  test('each item is the client representation', async () => {
    const response = await list('?q=ada.adams');

    expect(response.body.items).toEqual([
      {
        id: clients.ada.id,
        first_name: 'Ada',
        last_name: 'adams',
        phone: adaPhone,
        email: 'Ada.Adams@Example.com',
        sms_opt_out: false,
        email_opt_out: false,
        location_id: a.location.id,
        created_at: clients.ada.createdAt.toISOString(),
      },
    ]);
  });

  test('page_size 4 makes 3 pages of 9 clients: the last holds one, a page beyond the end holds none', async () => {
    const last = await list('?page=3&page_size=4');
    const beyond = await list('?page=4&page_size=4');

    expect(last.body).toEqual({ items: [expect.objectContaining({ id: clients.una.id })], page: 3, page_size: 4, total: 9, pages: 3 });
    expect(beyond.body).toEqual({ items: [], page: 4, page_size: 4, total: 9, pages: 3 });
  });

  test('q matches first, last and full names case-insensitively', async () => {
    expect(names((await list('?q=bAkEr')).body.items)).toEqual(['Al Baker', 'Zed Baker', 'Zed Baker']);
    expect(names((await list('?q=ZED%20BAKER')).body.items)).toEqual(['Zed Baker', 'Zed Baker']);
    expect(names((await list('?q=%20%20pat%20%20')).body.items)).toEqual(['Pat Profile']);
  });

  test('q matches an email case-insensitively and a phone number however it is typed', async () => {
    const byEmail = await list('?q=ADA.ADAMS%40example');
    const byPhone = await list(`?q=${encodeURIComponent(asTyped(adaPhone))}`);

    expect(byEmail.body.items.map((c: { id: number }) => c.id)).toEqual([clients.ada.id]);
    expect(byPhone.body.items.map((c: { id: number }) => c.id)).toEqual([clients.ada.id]);
  });

  test('q treats % and _ as plain characters', async () => {
    const percent = await list('?q=%25');
    const underscore = await list('?q=u_s');

    expect(names(percent.body.items)).toEqual(['100% Pure']);
    expect(underscore.body.items.map((c: { id: number }) => c.id)).toEqual([clients.una.id]);
  });

  test('q never finds another business\'s clients', async () => {
    const response = await list('?q=robin%20lee');

    expect(response.body.items.map((c: { id: number }) => c.id)).toEqual([a.client.id]);
    expect(response.body.total).toBe(1);
  });

  test('location_id keeps the clients of that location; another business\'s location matches none', async () => {
    const uptownClients = await list(`?location_id=${uptown.id}`);
    const mainClients = await list(`?location_id=${a.location.id}`);
    const foreign = await list(`?location_id=${b.location.id}`);

    expect(names(uptownClients.body.items)).toEqual(['Al Baker']);
    expect(names(mainClients.body.items)).toEqual(['Ada adams', 'Robin Lee']);
    expect(foreign.body).toMatchObject({ items: [], total: 0, pages: 0 });
  });

  test('opted_out=true keeps clients opted out of SMS or email, opted_out=false those opted out of neither', async () => {
    const optedOut = await list('?opted_out=true');
    const reachable = await list('?opted_out=false');

    expect(optedOut.body.items.map((c: { id: number }) => c.id)).toEqual([clients.al.id, clients.zed.id]);
    expect(optedOut.body.items.map((c: { sms_opt_out: boolean; email_opt_out: boolean }) => [c.sms_opt_out, c.email_opt_out])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(reachable.body.total).toBe(7);
    expect(reachable.body.items.every((c: { sms_opt_out: boolean; email_opt_out: boolean }) => !c.sms_opt_out && !c.email_opt_out)).toBe(true);
  });

  test('filters combine: q=baker with opted_out=false leaves the one reachable Baker', async () => {
    const response = await list('?q=baker&opted_out=false');

    expect(response.body.items.map((c: { id: number }) => c.id)).toEqual([clients.zed2.id]);
  });

  test('an unknown business is a 404', async () => {
    const response = await get(`/businesses/${NO_SUCH_ID}/clients`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });
});

describe('GET /businesses/{business_id}/clients/{client_id}', () => {
  test('the profile carries the client, the opt-out state per channel, conversations newest activity first and totals', async () => {
    const response = await get(`/businesses/${a.business.id}/clients/${clients.pat.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: clients.pat.id,
      first_name: 'Pat',
      last_name: 'Profile',
      phone: clients.pat.phone,
      email: null,
      sms_opt_out: false,
      email_opt_out: false,
      location_id: null,
      created_at: clients.pat.createdAt.toISOString(),
      opt_out: { sms: false, email: false },
      totals: { conversations: 3, open_conversations: 1, unread: 3, messages: 6, messages_inbound: 3, messages_outbound: 2 },
    });
    expect(response.body.conversations).toEqual([
      {
        id: conversations.patOpen.id,
        status: 'ACTIVE',
        unread_count: 2,
        assigned_staff_id: a.staff.id,
        last_message: { body: 'See you at 3', channel: 'sms', direction: 'inbound', at: conversations.patOpen.lastMessageAt!.toISOString() },
        created_at: conversations.patOpen.createdAt.toISOString(),
        updated_at: conversations.patOpen.updatedAt.toISOString(),
      },
      expect.objectContaining({ id: conversations.patEmpty.id, status: 'ARCHIVED', last_message: null, assigned_staff_id: null }),
      expect.objectContaining({ id: conversations.patOld.id, status: 'ARCHIVED', unread_count: 1 }),
    ]);
  });

  test('opt-out state per channel follows the client', async () => {
    const al = await get(`/businesses/${a.business.id}/clients/${clients.al.id}`);
    const zed = await get(`/businesses/${a.business.id}/clients/${clients.zed.id}`);

    expect(al.body.opt_out).toEqual({ sms: true, email: false });
    expect(zed.body.opt_out).toEqual({ sms: false, email: true });
  });

  test('a client without conversations has zero totals', async () => {
    const response = await get(`/businesses/${a.business.id}/clients/${clients.una.id}`);

    expect(response.body.conversations).toEqual([]);
    expect(response.body.totals).toEqual({ conversations: 0, open_conversations: 0, unread: 0, messages: 0, messages_inbound: 0, messages_outbound: 0 });
  });

  test('an unknown client is a 404 with a detail', async () => {
    const response = await get(`/businesses/${a.business.id}/clients/${NO_SUCH_ID}`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });

  test('another business\'s client under this business\'s path is a 404', async () => {
    const response = await get(`/businesses/${a.business.id}/clients/${b.client.id}`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });
});

describe('GET /businesses/{business_id}/staffs', () => {
  const list = (query = '') => get(`/businesses/${a.business.id}/staffs${query}`);

  test('lists the business\'s staff by last name, first name, then id, each as the staff representation', async () => {
    const response = await list();

    expect(response.status).toBe(200);
    expect(names(response.body.items)).toEqual(['Alex Baker', 'Casey Baker', 'Dana Cole', 'Sam Rivera']);
    expect(response.body).toMatchObject({ page: 1, page_size: 20, total: 4, pages: 1 });
    expect(response.body.items[0]).toEqual({
      id: staff.alex.id,
      first_name: 'Alex',
      last_name: 'Baker',
      email: 'ALEX.Baker@Example.com',
      phone: alexPhone,
      role: 'staff',
      is_active: true,
      location_ids: [uptown.id],
    });
  });

  test('page_size 3 makes 2 pages of 4 staff: the last holds one, a page beyond the end holds none', async () => {
    const last = await list('?page=2&page_size=3');
    const beyond = await list('?page=3&page_size=3');

    expect(last.body).toEqual({ items: [expect.objectContaining({ id: a.staff.id })], page: 2, page_size: 3, total: 4, pages: 2 });
    expect(beyond.body).toEqual({ items: [], page: 3, page_size: 3, total: 4, pages: 2 });
  });

  test('q matches names, email and phone case-insensitively, and only this business\'s staff', async () => {
    expect(names((await list('?q=BAKER')).body.items)).toEqual(['Alex Baker', 'Casey Baker']);
    expect(names((await list('?q=sam%20RIVERA')).body.items)).toEqual(['Sam Rivera']);
    expect(names((await list('?q=alex.baker%40EXAMPLE.com')).body.items)).toEqual(['Alex Baker']);
    expect(names((await list(`?q=${encodeURIComponent(asTyped(alexPhone))}`)).body.items)).toEqual(['Alex Baker']);
  });

  test('q treats _ as a plain character', async () => {
    const response = await list('?q=c_b');

    expect(names(response.body.items)).toEqual(['Casey Baker']);
  });

  test('location_id keeps the staff whose location_ids contain it', async () => {
    const atUptown = await list(`?location_id=${uptown.id}`);
    const atMain = await list(`?location_id=${a.location.id}`);

    expect(names(atUptown.body.items)).toEqual(['Alex Baker', 'Sam Rivera']);
    expect(names(atMain.body.items)).toEqual(['Casey Baker', 'Dana Cole', 'Sam Rivera']);
  });

  test('is_active keeps active or inactive staff', async () => {
    const inactive = await list('?is_active=false');
    const active = await list('?is_active=true');

    expect(names(inactive.body.items)).toEqual(['Casey Baker']);
    expect(names(active.body.items)).toEqual(['Alex Baker', 'Dana Cole', 'Sam Rivera']);
  });

  test('an unknown business is a 404', async () => {
    const response = await get(`/businesses/${NO_SUCH_ID}/staffs`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });
});

describe('GET /businesses/{business_id}/staffs/{staff_id}', () => {
  test('the profile carries the staff member, their locations and their open conversations newest first with the count', async () => {
    const response = await get(`/businesses/${a.business.id}/staffs/${a.staff.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: a.staff.id,
      first_name: 'Sam',
      last_name: 'Rivera',
      is_active: true,
      location_ids: [a.location.id, uptown.id],
      open_conversation_count: 3,
    });
    expect(response.body.locations.map((l: { id: number; name: string }) => [l.id, l.name])).toEqual([
      [a.location.id, 'Main'],
      [uptown.id, 'Uptown'],
    ]);
    expect(response.body.open_conversations).toEqual([
      {
        id: conversations.adaPending.id,
        client: { id: clients.ada.id, first_name: 'Ada', last_name: 'adams', phone: adaPhone, email: 'Ada.Adams@Example.com' },
        status: 'PENDING',
        unread_count: 0,
        last_message_at: conversations.adaPending.lastMessageAt!.toISOString(),
      },
      expect.objectContaining({ id: conversations.patOpen.id, status: 'ACTIVE', unread_count: 2 }),
      expect.objectContaining({ id: conversations.alSnoozed.id, status: 'SNOOZED', last_message_at: null }),
    ]);
  });

  test('a staff member with no assigned conversations has none open', async () => {
    const response = await get(`/businesses/${a.business.id}/staffs/${staff.dana.id}`);

    expect(response.body).toMatchObject({ open_conversations: [], open_conversation_count: 0, locations: [expect.objectContaining({ id: a.location.id })] });
  });

  test('an unknown staff member is a 404 with a detail', async () => {
    const response = await get(`/businesses/${a.business.id}/staffs/${NO_SUCH_ID}`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });

  test('another business\'s staff member under this business\'s path is a 404', async () => {
    const response = await get(`/businesses/${a.business.id}/staffs/${b.staff.id}`);

    expect(response.status).toBe(404);
    expect(response.body.detail).toEqual(expect.any(String));
  });
});

describe('tenant boundary with a business key', () => {
  let keyOfA: string;

  beforeAll(async () => {
    const issued = await api(stack.baseUrl, 'POST', `/businesses/${a.business.id}/api-keys`, { body: { name: 'directory test' } });
    expect(issued.status).toBe(201);
    keyOfA = issued.body.api_key;
  });

  const asA = (path: string) => api(stack.baseUrl, 'GET', path, { key: keyOfA });

  test('a business key reads its own business\'s locations, clients and staff', async () => {
    const responses = await Promise.all(
      ['/locations', '/clients', `/clients/${clients.pat.id}`, '/staffs', `/staffs/${a.staff.id}`].map((p) => asA(`/businesses/${a.business.id}${p}`)),
    );

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  test('a business key naming another business is a 403 on every directory route', async () => {
    const responses = await Promise.all(
      ['/locations', '/clients', `/clients/${b.client.id}`, '/staffs', `/staffs/${b.staff.id}`].map((p) => asA(`/businesses/${b.business.id}${p}`)),
    );

    expect(responses.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(responses.every((r) => typeof r.body.detail === 'string')).toBe(true);
  });

  test('a business key asking for another business\'s client or staff under its own path gets 404', async () => {
    const client = await asA(`/businesses/${a.business.id}/clients/${b.client.id}`);
    const member = await asA(`/businesses/${a.business.id}/staffs/${b.staff.id}`);

    expect([client.status, member.status]).toEqual([404, 404]);
  });
});

describe('bad input', () => {
  const cases: [string, string, (string | number)[]][] = [
    ['page=0', '/clients?page=0', ['query', 'page']],
    ['page=abc', '/staffs?page=abc', ['query', 'page']],
    ['page_size=101', '/clients?page_size=101', ['query', 'page_size']],
    ['page_size=0', '/locations?page_size=0', ['query', 'page_size']],
    ['location_id=abc', '/clients?location_id=abc', ['query', 'location_id']],
    ['location_id=-1', '/staffs?location_id=-1', ['query', 'location_id']],
    ['opted_out=maybe', '/clients?opted_out=maybe', ['query', 'opted_out']],
    ['is_active=sometimes', '/staffs?is_active=sometimes', ['query', 'is_active']],
    ['a q of 201 characters', `/clients?q=${'x'.repeat(201)}`, ['query', 'q']],
    ['a q with a NUL character', '/staffs?q=a%00b', ['query', 'q']],
    ['client_id=abc', '/clients/abc', ['path', 'client_id']],
    ['staff_id=0', '/staffs/0', ['path', 'staff_id']],
  ];
  for (const [what, path, loc] of cases) {
    test(`${what} is a 422 located at ${loc.join('.')}`, async () => {
      const response = await get(`/businesses/${a.business.id}${path}`);

      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc })]));
    });
  }

  test('a business_id that is not a positive integer is a 422 located at path.business_id', async () => {
    const response = await get('/businesses/abc/clients');

    expect(response.status).toBe(422);
    expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['path', 'business_id'] })]));
  });
});

describe('the OpenAPI description', () => {
  test('documents the client, staff and location representations, their pages and profiles', async () => {
    const response = await api(stack.baseUrl, 'GET', '/openapi.json', { key: null });

    expect(Object.keys(response.body.components.schemas)).toEqual(
      expect.arrayContaining(['Client', 'ClientPage', 'ClientProfile', 'Staff', 'StaffPage', 'StaffProfile', 'Location', 'LocationPage']),
    );
  });
});
