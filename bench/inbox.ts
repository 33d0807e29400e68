/**
 * `npm run bench:inbox`: the inbox's reads at 100,000 conversations and 1,000,000 messages for one
 * business (plus three other tenants with 20,000 / 200,000 between them). Seeds by COPY
 * (bench/inbox/seed.ts), then times each read route through HTTP against the API from createApp in
 * this process (no Temporal server: read routes must not touch it, and a client that fails on any
 * use proves they do not), captures the SQL each one runs and prints its `explain (analyze,
 * buffers)`. Writes bench/results/inbox-*.json.
 *
 * Database: DATABASE_URL if set (migrated; seeded unless it already holds the bench tenants; kept),
 * else omega_bench_inbox on 127.0.0.1:5432, created fresh and dropped at the end unless --keep.
 *
 * Flags: --n (200 sequential requests per read) --concurrency (8; 0 skips the concurrent run)
 * --warmup (20) --keep --only name,name --timeout-min (30) --label name.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { encodeCursor } from '../api/schemas/pagination';
import { dropDatabase, ensureDatabase } from '../db/database';
import { createOrm, migrate } from '../db/orm';
import { Lifecycle } from './lib/lifecycle';
import { machine } from './lib/report';
import { assertLoopback } from './lib/stack';
import { BROAD_TERM, SELECTIVE_TERM } from './inbox/data';
import { explainAll, getter, startApi, timeRequests } from './inbox/measure';
import { probes, type Facts } from './inbox/probes';
import { printTable, writeInboxResults, type ProbeResult } from './inbox/report';
import { seed, type SeedResult, type TenantSpec } from './inbox/seed';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
    'timeout-min': { type: 'string', default: '30' },
    label: { type: 'string' },
  },
});

const MAIN = 'Inbox bench: main';
const TENANTS: TenantSpec[] = [
  { name: MAIN, conversations: 100_000, messages: 1_000_000, huge: 10, staff: 20, locations: 5 },
  { name: 'Inbox bench: other 1', conversations: 10_000, messages: 100_000, huge: 0, staff: 8, locations: 2 },
  { name: 'Inbox bench: other 2', conversations: 6_000, messages: 60_000, huge: 0, staff: 5, locations: 1 },
  { name: 'Inbox bench: other 3', conversations: 4_000, messages: 40_000, huge: 0, staff: 3, locations: 1 },
];
const say = (line: string) => process.stderr.write(`[bench:inbox] ${line}\n`);

/** What the probes need to know about the seeded data, read back from the database (so a kept one can be reused). */
async function facts(query: <T extends object>(sql: string, params?: unknown[]) => Promise<T[]>): Promise<Facts | null> {
  const [business] = await query<{ id: string }>('select id from businesses where name = ?', [MAIN]);
  if (!business) return null;
  const businessId = Number(business.id);
  const [staff] = await query<{ id: string }>(
    'select assigned_staff_id as id from conversations where business_id = ? and assigned_staff_id is not null group by 1 order by count(*) desc limit 1', [businessId]);
  const [location] = await query<{ id: string }>('select id from locations where business_id = ? order by id limit 1', [businessId]);
  const [huge] = await query<{ id: string; client_id: string; n: number }>(
    `select c.id, c.client_id, count(*)::int as n from conversations c join messages m on m.conversation_id = c.id
     where c.business_id = ? and c.id in (select conversation_id from messages where business_id = ? group by 1 having count(*) > 1000)
     group by c.id order by n desc limit 1`, [businessId, businessId]);
  const [deep] = await query<{ key: string; id: string }>(
    `select coalesce(last_message_at, created_at)::text as key, id from conversations where business_id = ?
     order by coalesce(last_message_at, created_at) desc, id desc offset 49999 limit 1`, [businessId]);
  const [deepMessage] = await query<{ key: string; id: string }>(
    'select created_at::text as key, id from messages where conversation_id = ? order by created_at desc, id desc offset 3999 limit 1', [huge.id]);
  const [counts] = await query<{ conversations: number; messages: number }>(
    'select (select count(*)::int from conversations where business_id = ?) as conversations, (select count(*)::int from messages where business_id = ?) as messages',
    [businessId, businessId]);
  return {
    businessId,
    staffId: Number(staff.id),
    locationId: Number(location.id),
    huge: { id: Number(huge.id), clientId: Number(huge.client_id), messages: huge.n },
    deepListCursor: encodeCursor({ key: deep.key, id: Number(deep.id) })!,
    deepTimelineCursor: encodeCursor({ key: deepMessage.key, id: Number(deepMessage.id) })!,
    selective: SELECTIVE_TERM,
    broad: BROAD_TERM,
    conversations: counts.conversations,
    messages: counts.messages,
  };
}

async function main(life: Lifecycle): Promise<void> {
  const given = process.env.DATABASE_URL;
  const url = given ?? 'postgres://postgres@127.0.0.1:5432/omega_bench_inbox';
  assertLoopback(url, 'DATABASE_URL');
  if (!given) {
    await dropDatabase(url);
    if (!flags.keep) life.defer('drop database', () => dropDatabase(url));
  }
  await ensureDatabase(url);
  const orm = await createOrm(url, { poolMax: 20 });
  life.defer('close ORM', () => orm.close());
  await migrate(orm);
  const query = <T extends object>(sql: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(sql, params);

  let seeded: SeedResult | null = null;
  let found = await facts(query);
  if (found) {
    say(`reusing the bench tenants already in ${url}`);
  } else {
    say(`seeding ${url} by COPY`);
    seeded = await life.guard(seed(url, TENANTS, say));
    const perSecond = (seeded.rows.clients + seeded.rows.conversations + seeded.rows.messages) / (seeded.ms.copy / 1000);
    say(`loaded ${JSON.stringify(seeded.rows)}: COPY ${(seeded.ms.copy / 1000).toFixed(1)} s (${Math.round(perSecond)} rows/s), ` +
      `indexes ${(seeded.ms.indexes / 1000).toFixed(1)} s, analyze ${(seeded.ms.analyze / 1000).toFixed(1)} s, total ${(seeded.ms.total / 1000).toFixed(1)} s; ${JSON.stringify(seeded.sizes)}`);
    found = (await facts(query))!;
  }

  const adminKey = `omega_admin_${randomBytes(24).toString('hex')}`;
  const api = await startApi(orm, adminKey);
  life.defer('close API', () => api.close());
  const n = Number(flags.n);
  const concurrency = Number(flags.concurrency);
  const only = flags.only?.split(',');
  const results: ProbeResult[] = [];
  const loadBefore = os.loadavg();
  for (const probe of probes(found).filter((p) => !only || only.includes(p.name))) {
    if (life.signal.aborted) break;
    const client = getter(api.baseUrl, adminKey, Math.max(1, concurrency));
    try {
      const load = os.loadavg()[0];
      const statements = await api.capture(async () => {
        const res = await client.get(probe.path);
        if (res.status !== 200) say(`${probe.name}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      });
      const sequential = await life.guard(timeRequests(client, probe.path, n, 1, Number(flags.warmup)));
      const concurrent = concurrency > 1 ? await life.guard(timeRequests(client, probe.path, n, concurrency, 0)) : null;
      const explained = await explainAll(url, statements);
      results.push({ ...probe, loadAverage: load, sequential, concurrent, explained });
      say(`${probe.name}: p50 ${sequential.latencyMs.p50.toFixed(1)} p99 ${sequential.latencyMs.p99.toFixed(1)} ms; SQL ${explained.map((e) => e.executionMs.toFixed(1)).join(' + ')} ms`);
    } finally {
      client.close();
    }
  }
  if (api.temporalTouches() > 0) throw new Error(`read routes touched the Temporal client ${api.temporalTouches()} times`);

  printTable(results);
  const file = writeInboxResults(
    { command: `npm run bench:inbox -- ${process.argv.slice(2).join(' ')}`.trim(), date: new Date().toISOString(), machine: machine(), loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(), database: url.replace(/\/\/[^@]*@/, '//'), n, concurrency, seed: seeded, facts: found, results },
    flags.label,
  );
  say(`results: ${file}`);
}

const life = new Lifecycle(say);
life.trapSignals();
life.limitTime(Number(flags['timeout-min']) * 60_000);
main(life)
  .catch((error) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => life.cleanup());
