import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { WorkflowNotFoundError, type Client as TemporalClient } from '@temporalio/client';
import { DeliveryDrainer } from '../../api/delivery-drainer';
import { sendMessageWorkflowId, type DeliveryNotice } from '../../workflows/definitions';
import {
  adoptKeptEvent,
  applyKeptEvents,
  finalNewsUnheard,
  keepDeliveryEvent,
  newsOfKeptEvents,
  stopAwaitingFinal,
  unappliedNewsLeftBehind,
  type ApplyOptions,
} from '../../db/delivery-outbox';
import {
  adoptWaitingEvents,
  applyDeliveryEventsOf,
  recordAndApplyDeliveryReport,
  recordDeliveryReport,
  type DeliveryReport,
} from '../../db/delivery';
import { Message, MessageStatusEvent } from '../../db/entities';
import { MESSAGE_STATUSES, isFinal } from '../../db/message-status';
import { createOrm, withPgClient, type Orm } from '../../db/orm';
import { withPoolClient } from '../../db/pg';
import { createTenant, type Tenant } from '../support/factories';
import { testDatabaseUrl } from '../support/stack';

let orm: Orm;
let pool: Pool;
let tenant: Tenant;
const em = () => orm.em.fork() as EntityManager;

beforeAll(async () => {
  orm = await createOrm(testDatabaseUrl(), { poolMax: 8 });
  pool = new Pool({ connectionString: testDatabaseUrl(), max: 4 });
  tenant = await createTenant(em());
});

afterAll(async () => {
  await pool?.end();
  await orm?.close();
});

const newSid = () => `SM${randomBytes(16).toString('hex')}`;

/** An outbound SMS recorded with its sid (as POST /sms/record keeps one sent elsewhere): no workflow waits on it. */
async function recordedMessage(sid = newSid()): Promise<Message> {
  const e = em();
  const message = e.create(Message, {
    businessId: tenant.business.id, channel: 'sms', direction: 'outbound', status: 'QUEUED', providerMessageId: sid,
    toAddress: '+15550002222', fromAddress: tenant.location.phoneNumber,
  });
  await e.flush();
  return message;
}

/** An outbound SMS the provider has taken (QUEUED, with its sid); its send workflow awaits the final news. */
async function queuedMessage(sid = newSid()): Promise<Message> {
  const e = em();
  const message = e.create(Message, { businessId: tenant.business.id, channel: 'sms', direction: 'outbound', toAddress: '+15550002222', fromAddress: tenant.location.phoneNumber });
  await e.flush();
  message.markAccepted(sid, new Date());
  await e.flush();
  return message;
}

const report = (sid: string, rawStatus: string, status: DeliveryReport['status'], token?: string): DeliveryReport => ({
  provider: 'twilio',
  channel: 'sms',
  providerMessageId: sid,
  providerEventId: token,
  rawStatus,
  status,
  occurredAt: new Date(),
  payload: { MessageStatus: rawStatus },
});

/** applyKeptEvents on a connection of the test's own pool. */
const applyKept = (messageIds: number[], options?: ApplyOptions): Promise<Message[]> =>
  withPoolClient(pool, (client) => applyKeptEvents(client, messageIds, options));

const reload = (id: number) => em().findOneOrFail(Message, { id });
const eventsOf = (messageId: number) => em().find(MessageStatusEvent, { messageId }, { orderBy: { id: 'asc' } });

describe('recordAndApplyDeliveryReport', () => {
  test('a `sent` for a QUEUED message is kept and applied in the same call', async () => {
    const message = await queuedMessage();

    const recorded = await recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, 'sent', 'SENT', `t-${message.id}`));

    expect(recorded).toMatchObject({ duplicate: false, message: { id: message.id } });
    expect((await reload(message.id)).status).toBe('SENT');
    expect((await eventsOf(message.id)).map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([['sent', true]]);
  });

  test('when a late `sent` arrives after `delivered`, the status stays DELIVERED and the event is kept', async () => {
    const message = await queuedMessage();
    await recordDeliveryReport(em(), report(message.providerMessageId!, 'delivered', 'DELIVERED'));
    await recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, 'queued', 'QUEUED'));

    await recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, 'sent', 'SENT'));

    expect((await reload(message.id)).status).toBe('DELIVERED');
    expect((await eventsOf(message.id)).map((e) => [e.rawStatus, e.appliedAt !== null])).toEqual([
      ['delivered', true],
      ['queued', true],
      ['sent', true],
    ]);
  });

  test('the same idempotency token twice is stored once and the repeat changes nothing', async () => {
    const message = await queuedMessage();
    const token = `t-${message.id}-again`;

    const first = await recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, 'sent', 'SENT', token));
    const again = await recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, 'sent', 'SENT', token));

    expect([first.duplicate, again.duplicate]).toEqual([false, true]);
    expect(await eventsOf(message.id)).toHaveLength(1);
  });

  test('news for a sid no message has yet is kept waiting, and applied once the send adopts it', async () => {
    const sid = newSid();

    const recorded = await recordAndApplyDeliveryReport(em(), report(sid, 'sent', 'SENT'));
    const message = await queuedMessage(sid);
    const adopted = await adoptWaitingEvents(em(), message, 'twilio');
    await recordAndApplyDeliveryReport(em(), report(sid, 'queued', 'QUEUED'));

    expect(recorded).toMatchObject({ duplicate: false, message: null });
    expect(adopted).toBe(1);
    expect((await reload(message.id)).status).toBe('SENT');
  });

  test('concurrent callbacks of one message all end up kept and applied, the status at the furthest', async () => {
    const message = await queuedMessage();
    const words: [string, DeliveryReport['status']][] = [['sent', 'SENT'], ['queued', 'QUEUED'], ['sent', 'SENT'], ['sending', 'QUEUED'], ['accepted', 'QUEUED']];

    await Promise.all(words.map(([raw, status], i) => recordAndApplyDeliveryReport(em(), report(message.providerMessageId!, raw, status, `t-${message.id}-c${i}`))));

    expect((await reload(message.id)).status).toBe('SENT');
    const events = await eventsOf(message.id);
    expect(events).toHaveLength(words.length);
    expect(events.every((e) => e.appliedAt !== null)).toBe(true);
  });
});

describe('the delivery outbox', () => {
  const keep = (sid: string, rawStatus: string, status: DeliveryReport['status'], token?: string) => {
    const news = { ...report(sid, rawStatus, status, token), providerMessageId: sid };
    return keepDeliveryEvent(pool, news);
  };

  test('keeps news unapplied for its message, once per idempotency token, and tells what is left to pass on', async () => {
    const message = await queuedMessage();
    const token = `t-${message.id}-outbox`;

    const first = await keep(message.providerMessageId!, 'delivered', 'DELIVERED', token);
    const again = await keep(message.providerMessageId!, 'delivered', 'DELIVERED', token);
    const sent = await keep(message.providerMessageId!, 'sent', 'SENT');

    expect(first).toEqual({ id: expect.any(Number), messageId: message.id });
    expect(again).toBeNull();
    expect((await reload(message.id)).status).toBe('QUEUED');
    expect(await newsOfKeptEvents(pool, [first!.id, sent!.id])).toEqual([
      { messageId: message.id, eventIds: expect.arrayContaining([first!.id, sent!.id]), final: { eventId: first!.id, status: 'DELIVERED' } },
    ]);
    expect((await eventsOf(message.id)).every((e) => e.appliedAt === null)).toBe(true);
  });

  test('a final callback applied already, by news of its message kept alongside, is still news: it wakes the workflow', async () => {
    const message = await queuedMessage();
    const delivered = await keep(message.providerMessageId!, 'delivered', 'DELIVERED');
    const sent = await keep(message.providerMessageId!, 'sent', 'SENT');

    await applyDeliveryEventsOf(em(), [message.id]);

    expect(await newsOfKeptEvents(pool, [delivered!.id])).toEqual([{ messageId: message.id, eventIds: [delivered!.id], final: { eventId: delivered!.id, status: 'DELIVERED' } }]);
    expect(await newsOfKeptEvents(pool, [sent!.id])).toEqual([]);
  });

  test('news that can end a send is not news to wake a workflow when none waits on the message', async () => {
    const recorded = await recordedMessage();
    const waitedOn = await queuedMessage();
    const forRecorded = await keep(recorded.providerMessageId!, 'delivered', 'DELIVERED');
    const delivered = await keep(waitedOn.providerMessageId!, 'delivered', 'DELIVERED');

    await applyKept([waitedOn.id], { stopAwaiting: 'once final' });
    const read = await keep(waitedOn.providerMessageId!, 'read', 'READ');

    expect(await newsOfKeptEvents(pool, [forRecorded!.id, delivered!.id, read!.id])).toEqual(
      expect.arrayContaining([
        { messageId: recorded.id, eventIds: [forRecorded!.id] },
        { messageId: waitedOn.id, eventIds: expect.arrayContaining([delivered!.id, read!.id]) },
      ]),
    );
  });

  test('a send workflow stops waiting once its message is final, or when it gives up', async () => {
    const delivered = await queuedMessage();
    const given = await queuedMessage();
    await keep(delivered.providerMessageId!, 'sent', 'SENT');
    await keep(given.providerMessageId!, 'sent', 'SENT');

    await applyKept([delivered.id], { stopAwaiting: 'once final' });
    const stillWaiting = (await reload(delivered.id)).awaitingDelivery;
    await keep(delivered.providerMessageId!, 'delivered', 'DELIVERED');
    const [afterFinal] = await applyKept([delivered.id], { stopAwaiting: 'once final' });
    await applyKept([given.id], { stopAwaiting: 'now' });

    expect(stillWaiting).toBe(true);
    expect(afterFinal).toMatchObject({ id: delivered.id, status: 'DELIVERED', awaitingDelivery: false });
    expect(await reload(delivered.id)).toMatchObject({ status: 'DELIVERED', awaitingDelivery: false });
    expect(await reload(given.id)).toMatchObject({ status: 'SENT', awaitingDelivery: false });
  });

  test('news kept just before its send stored the sid and adopted the waiting events is attached to its message', async () => {
    const sid = newSid();
    const kept = await keep(sid, 'sent', 'SENT');
    // The send stored the sid, and its adoption ran before this event was there to adopt.
    const message = await queuedMessage(sid);

    const attached = await adoptKeptEvent(pool, kept!, { ...report(sid, 'sent', 'SENT'), providerMessageId: sid });

    expect(kept).toEqual({ id: expect.any(Number), messageId: null });
    expect(attached).toEqual({ id: kept!.id, messageId: message.id });
    expect((await eventsOf(message.id)).map((e) => e.id)).toEqual([kept!.id]);
  });

  test('news for a sid no message has stays waiting and is not news to pass on', async () => {
    const sid = newSid();
    const kept = await keep(sid, 'delivered', 'DELIVERED');

    const attached = await adoptKeptEvent(pool, kept!, { ...report(sid, 'delivered', 'DELIVERED'), providerMessageId: sid });

    expect(attached.messageId).toBeNull();
    expect(await newsOfKeptEvents(pool, [kept!.id])).toEqual([]);
  });

  test('the sweep finds unapplied news only once it is older than it waits for', async () => {
    const message = await queuedMessage();
    const kept = await keep(message.providerMessageId!, 'sent', 'SENT');

    const young = await unappliedNewsLeftBehind(pool, 60_000, 10_000);
    // Aged where no other test file's sweep can see it (and pass it on first).
    const client = await pool.connect();
    let old;
    try {
      await client.query('begin');
      await client.query(`update message_status_events set received_at = now() - interval '2 minutes' where id = $1`, [kept!.id]);
      old = await unappliedNewsLeftBehind(client, 60_000, 10_000);
    } finally {
      await client.query('rollback');
      client.release();
    }

    expect(young.map((n) => n.messageId)).not.toContain(message.id);
    expect(old).toContainEqual({ messageId: message.id, eventIds: [kept!.id] });
  });
});

describe('DeliveryDrainer', () => {
  /** A Temporal client whose signals are recorded; workflows in `ended` are not found, and with `down` no signal gets through. */
  function temporalStub({ ended = new Set<string>(), down = false } = {}) {
    const signalled: string[] = [];
    const notices: DeliveryNotice[] = [];
    const client = {
      workflow: {
        getHandle: (workflowId: string) => ({
          signal: async (_signal: unknown, notice: DeliveryNotice) => {
            if (down) throw new Error('14 UNAVAILABLE: No connection established');
            if (ended.has(workflowId)) throw new WorkflowNotFoundError('workflow not found', workflowId, undefined);
            signalled.push(workflowId);
            notices.push(notice);
          },
        }),
      },
    } as unknown as TemporalClient;
    return { client, signalled, notices };
  }

  async function drain(temporal: TemporalClient, reports: [Message, string, DeliveryReport['status']][]): Promise<void> {
    // No sweep while it runs: it would pass on other test files' news.
    const drainer = new DeliveryDrainer({ temporal, pool, logger: { error: () => undefined } }, { sweepEveryMs: 3_600_000 });
    for (const [message, raw, status] of reports) {
      const sid = message.providerMessageId!;
      const kept = await keepDeliveryEvent(pool, { ...report(sid, raw, status), providerMessageId: sid });
      drainer.nudge(kept!.id);
    }
    await drainer.close();
  }

  test('a final status is applied here, then wakes the workflow waiting on its message with the message as it is; once heard, nobody waits on it', async () => {
    const message = await queuedMessage();
    const { client, signalled, notices } = temporalStub();

    await drain(client, [[message, 'sent', 'SENT'], [message, 'undelivered', 'UNDELIVERED']]);

    expect(signalled).toEqual([sendMessageWorkflowId(message.id)]);
    expect(notices[0]).toMatchObject({ status: 'UNDELIVERED', applied: { status: 'UNDELIVERED' } });
    expect(await reload(message.id)).toMatchObject({ status: 'UNDELIVERED', awaitingDelivery: false });
    expect((await eventsOf(message.id)).every((e) => e.appliedAt !== null)).toBe(true);
  });

  test('final news applied while its workflow could not be told stays awaited, for the sweep to tell it again', async () => {
    const message = await queuedMessage();

    await drain(temporalStub({ down: true }).client, [[message, 'delivered', 'DELIVERED']]);

    expect(await reload(message.id)).toMatchObject({ status: 'DELIVERED', awaitingDelivery: true });
    const unheard = await finalNewsUnheard(pool, 0, 10_000);
    const [lastEvent] = (await eventsOf(message.id)).slice(-1);
    expect(unheard.find((n) => n.messageId === message.id)).toEqual({ messageId: message.id, eventIds: [], final: { eventId: lastEvent.id, status: 'DELIVERED' } });

    await stopAwaitingFinal(pool, [message.id]);
    expect((await finalNewsUnheard(pool, 0, 10_000)).some((n) => n.messageId === message.id)).toBe(false);
  });

  test('the index the sweep for unheard final news reads holds awaited messages at exactly the final statuses', async () => {
    const { rows } = await pool.query<{ indexdef: string }>(`select indexdef from pg_indexes where indexname = 'messages_awaited_final_idx'`);
    const indexed = MESSAGE_STATUSES.filter((status) => rows[0].indexdef.includes(`'${status}'`));

    expect(rows[0].indexdef).toContain('WHERE (awaiting_delivery AND');
    expect(indexed).toEqual(MESSAGE_STATUSES.filter(isFinal));
  });

  test('a send waiting again (a retry) is not released by news its earlier attempt\'s workflow heard', async () => {
    const message = await queuedMessage();

    await stopAwaitingFinal(pool, [message.id]);

    expect(await reload(message.id)).toMatchObject({ status: 'QUEUED', awaitingDelivery: true });
  });

  test('news for a message no workflow waits on is applied here, with no signal', async () => {
    const message = await recordedMessage();
    const { client, signalled } = temporalStub();

    await drain(client, [[message, 'delivered', 'DELIVERED']]);

    expect(signalled).toEqual([]);
    expect(await reload(message.id)).toMatchObject({ status: 'DELIVERED' });
  });

  test('news for a send whose workflow has ended without saying so is applied here, and nobody waits on it once the signal finds none', async () => {
    const message = await queuedMessage();
    const { client, signalled } = temporalStub({ ended: new Set([sendMessageWorkflowId(message.id)]) });

    await drain(client, [[message, 'undelivered', 'UNDELIVERED']]);

    expect(signalled).toEqual([]);
    expect(await reload(message.id)).toMatchObject({ status: 'UNDELIVERED', awaitingDelivery: false });
  });
});

describe('applyKeptEvents', () => {
  /** A small seeded generator: the same cases on every run. */
  function random(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const STATUSES = ['QUEUED', 'SENT', 'DELIVERED', 'READ', 'UNDELIVERED', 'FAILED'] as const;

  test('applies news exactly as the ORM path does, on our pool and on the ORM\'s connections, over random states and late, repeated and out-of-order events', async () => {
    const next = random(20261126);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 9, minute));
    const cases = Array.from({ length: 60 }, () => ({
      start: {
        status: pick(STATUSES),
        sentAt: pick([null, at(1)]),
        errorCode: pick([null, '30003']),
        errorMessage: pick([null, 'Unreachable destination handset']),
      },
      events: Array.from({ length: 1 + Math.floor(next() * 5) }, () => ({
        status: pick([...STATUSES, null]),
        occurredAt: pick([null, at(Math.floor(next() * 30))]),
        errorCode: pick([null, '30008', '30005']),
        errorMessage: pick([null, 'Unknown error']),
      })),
    }));
    const receivedAt = at(15);

    const copies = async () => {
      const e = em();
      const messages = cases.map(({ start }) =>
        e.create(Message, { businessId: tenant.business.id, channel: 'sms', direction: 'outbound', providerMessageId: newSid(), ...start }),
      );
      await e.flush();
      for (const [i, { events }] of cases.entries()) {
        for (const event of events) {
          await pool.query(
            `insert into message_status_events (message_id, provider, status, raw_status, error_code, error_message, occurred_at, received_at)
             values ($1, 'twilio', $2, 'test', $3, $4, $5, $6)`,
            [messages[i].id, event.status, event.errorCode, event.errorMessage, event.occurredAt, receivedAt],
          );
        }
      }
      return messages.map((m) => m.id);
    };
    const byOrm = await copies();
    const bySql = await copies();
    const byOrmConnection = await copies();

    await applyDeliveryEventsOf(em(), byOrm);
    await applyKept(bySql);
    await withPgClient(orm, (client) => applyKeptEvents(client, byOrmConnection));

    const outcome = async (ids: number[]) => {
      const messages = await em().find(Message, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
      const unapplied = await em().count(MessageStatusEvent, { messageId: { $in: ids }, appliedAt: null });
      return { unapplied, messages: messages.map(({ status, sentAt, deliveredAt, errorCode, errorMessage }) => ({ status, sentAt, deliveredAt, errorCode, errorMessage })) };
    };
    const expected = await outcome(byOrm);
    expect(await outcome(bySql)).toEqual(expected);
    expect(await outcome(byOrmConnection)).toEqual(expected);
    expect(expected.unapplied).toBe(0);
    expect(new Set(expected.messages.map((m) => m.status)).size).toBeGreaterThan(3);
  });
});
