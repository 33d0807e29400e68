/**
 * The bulk loader: businesses, locations and staff by INSERT, then clients, conversations and
 * messages as generated rows through `COPY … FROM STDIN` (pg-copy-streams). The secondary indexes
 * of those three tables are dropped before the load and built again after it (with their own
 * definitions from pg_indexes, so the unique ones check the invariants once at the end), then
 * `vacuum (analyze)`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { client as clientRow, messageText, pgTime, plan, statusOf, type ClientRow, type ConversationPlan, type Staffer, type Status } from './data';

export interface TenantSpec {
  name: string;
  conversations: number;
  messages: number;
  /** Conversations with 5,000+ messages each, for the timeline and in-conversation search. */
  huge: number;
  staff: number;
  locations: number;
}

export interface SeededTenant extends TenantSpec {
  businessId: number;
  clients: number;
  /** The huge conversations: id and client id, for the timeline and search paths. */
  hugeConversations: { id: number; clientId: number; messages: number }[];
  staffIds: number[];
  locationIds: number[];
}

export interface SeedResult {
  tenants: SeededTenant[];
  rows: { clients: number; conversations: number; messages: number };
  ms: { copy: number; indexes: number; analyze: number; total: number };
  /** The sizes on disk after the load, heap + indexes. */
  sizes: Record<string, string>;
}

const TABLES = ['clients', 'conversations', 'messages'] as const;
const CHUNK_ROWS = 1000;

/** COPY text format: \N for null, and backslash, tab, newline and carriage return escaped. */
function esc(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

const line = (values: (string | number | boolean | null | undefined)[]) => values.map(esc).join('\t') + '\n';

async function copy(pg: Client, table: string, columns: string[], rows: () => Generator<string>): Promise<void> {
  function* chunks() {
    let chunk: string[] = [];
    for (const row of rows()) {
      chunk.push(row);
      if (chunk.length >= CHUNK_ROWS) {
        yield chunk.join('');
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk.join('');
  }
  await pipeline(Readable.from(chunks()), pg.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
}

/** Message counts: the huge conversations first, the rest exponential around the mean, summing exactly to `total`. */
function messageCounts(spec: TenantSpec, seed: number): number[] {
  const rand = (() => {
    let a = seed;
    return () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
  })();
  const huge = Array.from({ length: spec.huge }, (_, i) => 5000 + i * 300);
  const rest = spec.conversations - spec.huge;
  const remaining = spec.messages - huge.reduce((a, b) => a + b, 0);
  const mean = remaining / rest;
  const counts = Array.from({ length: rest }, () => Math.min(400, 1 + Math.floor(-Math.log(1 - rand()) * (mean - 0.5))));
  let diff = remaining - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % rest) {
    if (diff > 0) {
      counts[i]++;
      diff--;
    } else if (counts[i] > 1) {
      counts[i]--;
      diff++;
    }
  }
  return [...huge, ...counts];
}

interface Conv {
  id: number;
  seed: number;
  status: Status;
  count: number;
  client: ClientRow;
}

interface TenantRows {
  tenant: SeededTenant;
  staff: Staffer[];
  locationPhones: string[];
  businessEmail: string;
  clients: ClientRow[];
  conversations: Conv[];
}

/** Which client each conversation is with: its own, except that half the archived ones are an earlier conversation of a client with an open one. */
function assignClients(spec: TenantSpec, tenantIndex: number, nextClientId: () => number, nextConversationId: () => number): { clients: ClientRow[]; conversations: Conv[] } {
  const counts = messageCounts(spec, 17 + tenantIndex);
  const clients: ClientRow[] = [];
  const conversations: Conv[] = [];
  let reusable: ClientRow | undefined;
  counts.forEach((count, i) => {
    const seed = tenantIndex * 1_000_003 + i;
    const status: Status = i < spec.huge ? 'ACTIVE' : statusOf(seed);
    let client: ClientRow;
    if (status === 'ARCHIVED' && reusable && i % 2 === 0) {
      client = reusable;
      reusable = undefined;
    } else {
      client = clientRow(nextClientId(), clients.length + tenantIndex * 50_021);
      clients.push(client);
      if (status !== 'ARCHIVED') reusable = client;
    }
    conversations.push({ id: nextConversationId(), seed, status, count, client });
  });
  return { clients, conversations };
}

async function insertTenant(pg: Client, spec: TenantSpec, tenantIndex: number): Promise<Omit<TenantRows, 'clients' | 'conversations'>> {
  const [{ id: businessId }] = (
    await pg.query(`insert into businesses (name, status, email_from_address) values ($1, 'ACTIVE', $2) returning id`, [spec.name, `hello@bench-${tenantIndex}.example`])
  ).rows;
  const locationPhones = Array.from({ length: spec.locations }, (_, i) => `+1555${String(Number(businessId) % 1000).padStart(3, '0')}${String(i).padStart(4, '0')}`);
  const locations = await pg.query(
    `insert into locations (business_id, name, phone_number) select $1, 'Location ' || n, ($2::text[])[n] from generate_series(1, $3) n returning id`,
    [businessId, locationPhones, spec.locations],
  );
  const staffRows = await pg.query(
    `insert into staff (business_id, first_name, last_name, email) select $1, 'Staff' || n, 'Bench', 'staff' || n || '@bench.example'
     from generate_series(1, $2) n returning id, first_name`,
    [businessId, spec.staff],
  );
  const staff = staffRows.rows.map((r) => ({ id: Number(r.id), firstName: r.first_name as string }));
  return {
    tenant: { ...spec, businessId: Number(businessId), clients: 0, hugeConversations: [], staffIds: staff.map((s) => s.id), locationIds: locations.rows.map((r) => Number(r.id)) },
    staff,
    locationPhones,
    businessEmail: `hello@bench-${tenantIndex}.example`,
  };
}

interface MessageRow {
  channel: string;
  direction: 'inbound' | 'outbound' | 'internal';
  status: string;
  body: string | null;
  subject: string | null;
  from: string | null;
  to: string | null;
  isRead: boolean;
  staffId: number | null;
  at: number;
  micros: number;
}

/** The messages of one conversation, oldest first; the same every time for the same seed. */
function* messagesOf(t: TenantRows, c: Conv, p: ConversationPlan): Generator<MessageRow> {
  const rand = (() => {
    let a = c.seed + 99;
    return () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
  })();
  const staffer = p.assignedStaff ?? t.staff[c.seed % t.staff.length];
  const locationPhone = t.locationPhones[p.locationIndex ?? 0];
  for (let i = 0; i < p.messageTimes.length; i++) {
    const at = p.messageTimes[i];
    const micros = Math.floor(rand() * 1000);
    if (p.notes.has(i)) {
      yield { channel: 'note', direction: 'internal', status: 'RECORDED', body: `Note: ${messageText(rand, false, staffer.firstName)}`, subject: null, from: null, to: null, isRead: true, staffId: staffer.id, at, micros };
      continue;
    }
    const inbound = i >= p.unreadFrom || (i === 0 ? rand() < 0.7 : rand() < 0.5);
    const body = messageText(rand, inbound, staffer.firstName);
    const clientAddress = p.channel === 'email' ? c.client.email : c.client.phone;
    const ours = p.channel === 'email' ? t.businessEmail : locationPhone;
    const subject = p.channel === 'email' && (i === 0 || rand() < 0.2) ? (inbound ? 'Question about my visit' : 'Your visit') : null;
    const outcome = rand();
    yield {
      channel: p.channel,
      direction: inbound ? 'inbound' : 'outbound',
      status: inbound ? (p.channel === 'voice' ? 'RECORDED' : 'RECEIVED') : outcome < 0.95 ? 'DELIVERED' : outcome < 0.97 ? 'SENT' : outcome < 0.99 ? 'FAILED' : 'UNDELIVERED',
      body: p.channel === 'voice' && inbound ? `Voicemail transcript: ${body}` : body,
      subject,
      from: inbound ? clientAddress : ours,
      to: inbound ? ours : clientAddress,
      isRead: inbound ? i < p.unreadFrom : false,
      staffId: inbound ? null : staffer.id,
      at,
      micros,
    };
  }
}

function planOf(t: TenantRows, c: Conv, now: number): ConversationPlan {
  return plan(c.seed, c.status, c.count, now, t.staff, t.locationPhones.length, c.client);
}

function* clientLines(all: TenantRows[], now: number): Generator<string> {
  for (const t of all) {
    for (const c of t.clients) {
      yield line([c.id, t.tenant.businessId, c.firstName, c.lastName, c.phone, c.email, t.tenant.locationIds[c.id % t.tenant.locationIds.length], pgTime(now - 800 * 86_400_000, 0), pgTime(now - 800 * 86_400_000, 0)]);
    }
  }
}

function* conversationLines(all: TenantRows[], now: number): Generator<string> {
  for (const t of all) {
    for (const c of t.conversations) {
      const p = planOf(t, c, now);
      let last: MessageRow | undefined;
      for (const m of messagesOf(t, c, p)) if (m.channel !== 'note') last = m;
      const lastAt = last ? pgTime(last.at, last.micros) : null;
      const resolvedAt = c.status === 'RESOLVED' || c.status === 'ARCHIVED' ? pgTime((last?.at ?? p.createdAt) + 3_600_000, 0) : null;
      const staffId = p.assignedStaff?.id ?? null;
      yield line([
        c.id, t.tenant.businessId, c.client.id, p.locationIndex === null ? null : t.tenant.locationIds[p.locationIndex], c.status, staffId,
        c.count - p.unreadFrom, lastAt, last ? (last.body ?? last.subject ?? '').slice(0, 160) : null, last?.channel ?? null, last?.direction ?? null,
        c.status === 'SNOOZED' ? pgTime(now + (1 + (c.seed % 7)) * 86_400_000, 0) : null,
        resolvedAt, resolvedAt ? (staffId ?? t.tenant.staffIds[0]) : null, `{${p.channel}}`,
        pgTime(p.createdAt, 0), resolvedAt ?? lastAt ?? pgTime(p.createdAt, 0),
      ]);
    }
  }
}

function* messageLines(all: TenantRows[], now: number, firstId: number): Generator<string> {
  let id = firstId;
  for (const t of all) {
    for (const c of t.conversations) {
      for (const m of messagesOf(t, c, planOf(t, c, now))) {
        const at = pgTime(m.at, m.micros);
        const outbound = m.direction === 'outbound';
        yield line([
          id++, t.tenant.businessId, c.id, c.client.id, m.channel, m.direction, m.status, m.body, m.subject, m.from, m.to, m.isRead, m.staffId, at,
          outbound ? pgTime(m.at + 1000, m.micros) : null, outbound && m.status === 'DELIVERED' ? pgTime(m.at + 3000, m.micros) : null, at,
        ]);
      }
    }
  }
}

async function nextIds(pg: Client): Promise<Record<(typeof TABLES)[number], number>> {
  const { rows } = await pg.query(
    `select (select coalesce(max(id), 0) + 1 from clients) as clients, (select coalesce(max(id), 0) + 1 from conversations) as conversations,
            (select coalesce(max(id), 0) + 1 from messages) as messages`,
  );
  return { clients: Number(rows[0].clients), conversations: Number(rows[0].conversations), messages: Number(rows[0].messages) };
}

export async function seed(url: string, specs: TenantSpec[], say: (line: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const now = Date.now();
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    // A bulk load's own session settings; the server keeps its defaults.
    await pg.query(`set maintenance_work_mem = '512MB'`);
    const ids = await nextIds(pg);
    let clientId = ids.clients;
    let conversationId = ids.conversations;
    const all: TenantRows[] = [];
    for (const [i, spec] of specs.entries()) {
      const base = await insertTenant(pg, spec, i);
      const { clients, conversations } = assignClients(spec, i, () => clientId++, () => conversationId++);
      base.tenant.clients = clients.length;
      base.tenant.hugeConversations = conversations.slice(0, spec.huge).map((c) => ({ id: c.id, clientId: c.client.id, messages: c.count }));
      all.push({ ...base, clients, conversations });
    }

    const { rows: indexes } = await pg.query<{ name: string; def: string }>(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
       where i.indrelid = any(array['clients', 'conversations', 'messages']::regclass[]) and not i.indisprimary
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
    );
    for (const index of indexes) await pg.query(`drop index ${index.name}`);

    const copyStarted = performance.now();
    await copy(pg, 'clients', ['id', 'business_id', 'first_name', 'last_name', 'phone', 'email', 'location_id', 'created_at', 'updated_at'], () => clientLines(all, now));
    say(`  clients copied (${Math.round(performance.now() - copyStarted)} ms)`);
    await copy(pg, 'conversations', [
      'id', 'business_id', 'client_id', 'location_id', 'status', 'assigned_staff_id', 'unread_count', 'last_message_at', 'last_message_preview',
      'last_message_channel', 'last_message_direction', 'snooze_until', 'resolved_at', 'resolved_by_staff_id', 'channels', 'created_at', 'updated_at',
    ], () => conversationLines(all, now));
    say(`  conversations copied (${Math.round(performance.now() - copyStarted)} ms)`);
    await copy(pg, 'messages', [
      'id', 'business_id', 'conversation_id', 'client_id', 'channel', 'direction', 'status', 'body', 'subject', 'from_address', 'to_address',
      'is_read', 'staff_id', 'created_at', 'sent_at', 'delivered_at', 'updated_at',
    ], () => messageLines(all, now, ids.messages));
    const copyMs = performance.now() - copyStarted;
    say(`  messages copied (${Math.round(copyMs)} ms)`);
    for (const table of TABLES) await pg.query(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);

    const indexStarted = performance.now();
    for (const index of indexes) await pg.query(index.def);
    const indexMs = performance.now() - indexStarted;
    say(`  ${indexes.length} indexes built (${Math.round(indexMs)} ms)`);
    const analyzeStarted = performance.now();
    // Vacuum too, as autovacuum would by now: index-only scans need the visibility map.
    await pg.query('vacuum (analyze)');
    const analyzeMs = performance.now() - analyzeStarted;

    const { rows: sizes } = await pg.query(
      `select relname, pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class where relname = any($1::text[])`,
      [TABLES],
    );
    const rows = {
      clients: all.reduce((a, t) => a + t.clients.length, 0),
      conversations: all.reduce((a, t) => a + t.conversations.length, 0),
      messages: all.reduce((a, t) => a + t.conversations.reduce((b, c) => b + c.count, 0), 0),
    };
    return {
      tenants: all.map((t) => t.tenant),
      rows,
      ms: { copy: copyMs, indexes: indexMs, analyze: analyzeMs, total: performance.now() - started },
      sizes: Object.fromEntries(sizes.map((r) => [r.relname, r.size])),
    };
  } finally {
    await pg.end();
  }
}
