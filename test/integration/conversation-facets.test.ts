import type { EntityManager } from '@mikro-orm/postgresql';
import { assignConversation, changeConversationStatus, markMessagesRead, recordInboundMessage } from '../../db/conversations';
import { Client, Conversation, Location, Staff, type ConversationStatus } from '../../db/entities';
import { createOrm, type Orm } from '../../db/orm';
import { conversationFilterCounts } from '../../db/queries/conversations';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { testDatabaseUrl } from '../support/stack';

let orm: Orm;
let tenant: Tenant;
const em = () => orm.em.fork() as EntityManager;
const OPEN: ConversationStatus[] = ['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED'];

beforeAll(async () => {
  orm = await createOrm(testDatabaseUrl(), { poolMax: 8 });
  tenant = await createTenant(em());
});

afterAll(async () => {
  await orm?.close();
});

/** The same counts computed the slow way, straight from the conversations. */
async function countedFromConversations(businessId: number, statuses: ConversationStatus[]) {
  const rows: Record<string, any>[] = await em().execute('select * from conversations where business_id = ?', [businessId]);
  const scoped = rows.filter((r) => statuses.includes(r.status));
  const tally = (values: (string | number | null)[]) => {
    const counts = new Map<string | number | null, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  };
  const byStaff = tally(scoped.map((r) => (r.assigned_staff_id === null ? null : Number(r.assigned_staff_id))));
  const byLocation = tally(scoped.map((r) => (r.location_id === null ? null : Number(r.location_id))));
  const byChannel = tally(scoped.flatMap((r) => r.channels as string[]));
  const byStatus = tally(rows.map((r) => r.status));
  return {
    statuses: Object.fromEntries(['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED', 'ARCHIVED'].map((s) => [s, byStatus.get(s) ?? 0])),
    assignees: Object.fromEntries([...byStaff].filter(([k]) => k !== null).map(([k, v]) => [k, v])),
    unassigned: byStaff.get(null) ?? 0,
    channels: Object.fromEntries(byChannel),
    locations: Object.fromEntries([...byLocation].filter(([k]) => k !== null)),
    unread: { conversations: scoped.filter((r) => r.unread_count > 0).length, messages: scoped.reduce((sum, r) => sum + r.unread_count, 0) },
  };
}

async function keptCounts(businessId: number, statuses: ConversationStatus[]) {
  const counts = await conversationFilterCounts(em(), businessId, statuses, null);
  return {
    statuses: Object.fromEntries(counts.statuses.map((s) => [s.status, s.count])),
    assignees: Object.fromEntries(counts.assignees.map((a) => [a.staffId, a.count])),
    unassigned: counts.unassigned,
    channels: Object.fromEntries(counts.channels.map((c) => [c.channel, c.count])),
    locations: Object.fromEntries(counts.locations.map((l) => [l.locationId, l.count])),
    unread: counts.unread,
  };
}

async function newConversation(locationId: number | null): Promise<Conversation> {
  const client = new Client({ businessId: tenant.business.id, phone: uniquePhone(), locationId });
  await em().persistAndFlush(client);
  const conversation = new Conversation({ businessId: tenant.business.id, clientId: client.id, locationId });
  await em().persistAndFlush(conversation);
  return conversation;
}

test('the kept counts equal the counts of the conversations after concurrent messages, reads, status changes, assignments and deletes', async () => {
  const second = new Location({ businessId: tenant.business.id, name: 'Second', timezone: 'UTC' });
  const other = new Staff({ businessId: tenant.business.id, firstName: 'Other' });
  await em().persistAndFlush([second, other]);
  const conversations: Conversation[] = [];
  for (let i = 0; i < 12; i++) conversations.push(await newConversation(i % 3 === 0 ? null : i % 3 === 1 ? tenant.location.id : second.id));

  const at = () => new Date();
  const work: Promise<unknown>[] = [];
  conversations.forEach((c, i) => {
    for (let m = 0; m < 3; m++) work.push(recordInboundMessage(em(), { conversation: c, channel: i % 2 ? 'sms' : 'email', body: `hello ${m}` }));
    if (i % 4 === 0) work.push(markMessagesRead(em(), c.id, { isRead: true }));
    if (i % 3 === 0) work.push(assignConversation(em(), c.id, i % 2 ? tenant.staff.id : other.id, { type: 'api' }, at()));
    if (i % 5 === 1) work.push(changeConversationStatus(em(), c.id, { to: 'PENDING', actor: { type: 'api' }, at: at() }));
  });
  await Promise.all(work);
  await changeConversationStatus(em(), conversations[2].id, { to: 'RESOLVED', actor: { type: 'api' }, at: at() });
  await changeConversationStatus(em(), conversations[2].id, { to: 'ARCHIVED', actor: { type: 'api' }, at: at() });
  await em().nativeDelete(Conversation, { id: conversations[7].id });

  for (const statuses of [OPEN, ['ACTIVE'] as ConversationStatus[], ['ARCHIVED'] as ConversationStatus[]]) {
    expect(await keptCounts(tenant.business.id, statuses)).toEqual(await countedFromConversations(tenant.business.id, statuses));
  }
  const kept = await keptCounts(tenant.business.id, OPEN);
  expect(kept.unread.conversations).toBeGreaterThan(0);
  expect(Object.keys(kept.channels).sort()).toEqual(['email', 'sms']);
});

test('a business deleted takes its counts with it', async () => {
  const gone = await createTenant(em());
  const client = gone.client;
  const conversation = new Conversation({ businessId: gone.business.id, clientId: client.id });
  await em().persistAndFlush(conversation);
  expect((await keptCounts(gone.business.id, OPEN)).statuses.ACTIVE).toBe(1);
  await em().execute('delete from businesses where id = ?', [gone.business.id]);
  const [{ rows }] = await em().execute('select count(*)::int as rows from conversation_facets where business_id = ?', [gone.business.id]);
  expect(rows).toBe(0);
});
