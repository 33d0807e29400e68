import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { z } from 'zod';
import type { Route } from '../../api/route';
import { Conversation, Session, Staff } from '../../db/entities';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { api, type HttpResult } from '../support/http';
import { ROUTES, accepts, label, needsCredentials, shapeOf } from '../support/route-table';
import { useIsolatedDatabase } from '../support/isolated-database';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * The cross-tenant sweep: every route that takes credentials is called by tenant B (with its API key, then
 * with its session token) aiming at tenant A's business and rows. Requests are built from the route table's
 * zod schemas, so a route added later is swept without anyone remembering to. B must get 403 (another
 * business named) or 404 (another business's row), never a 2xx or a 5xx, never any of A's data, and A's
 * rows must be exactly as before.
 */

// ---------------------------------------------------------------------------------------------------------
// Ids: every field whose name ends in `_id` (or `_ids`, a list) names a row of some kind; the kind is the
// longest known suffix of the name (`assigned_staff_id` is a staff id, `api_key_id` a key id).

const KINDS = ['business', 'location', 'staff', 'client', 'conversation', 'message', 'provider_message', 'email_message', 'email_provider_message', 'request', 'key', 'session', 'workflow'] as const;
type Kind = (typeof KINDS)[number];
type TenantIds = Record<Kind, number | string>;

const isIdName = (name: string) => /_ids?$/.test(name);

function kindOf(name: string): Kind | undefined {
  const base = name.replace(/_ids?$/, '');
  return KINDS.filter((kind) => base === kind || base.endsWith(`_${kind}`)).sort((x, y) => y.length - x.length)[0];
}

type Place = 'path' | 'query' | 'body';

/**
 * `_id` fields that do not point at a row, so another tenant's value there is no tenancy question. As a
 * path parameter `request_id` is a lookup (and swept); in a send it is an idempotency key the caller picks,
 * scoped per business, so B reusing A's is B's own new request: checked on its own after the sweep.
 */
const NOT_REFERENCES: Partial<Record<`${Place}.${string}`, string>> = {
  'body.request_id': 'idempotency key, scoped per business',
  'query.request_id': 'idempotency key, scoped per business',
};

const isReference = (place: Place, name: string) => isIdName(name) && NOT_REFERENCES[`${place}.${name}`] === undefined;

// ---------------------------------------------------------------------------------------------------------
// Request templates: a valid request for a route with a Slot wherever an id goes; filled later with A's or
// B's ids. Required fields get a valid sample value, optional ones are left out unless they are ids.

class Slot {
  constructor(
    readonly name: string,
    readonly many = false,
  ) {}
}

interface Template {
  spec: Route;
  /** Empty for the request the table gives; otherwise which other valid shape of the body this is. */
  variant: string;
  params: Record<string, Slot | string>;
  query: Record<string, Slot | string>;
  body: unknown;
}

interface IdField {
  place: Place;
  name: string;
  /** Where in the path, query or body, e.g. `recipients.1.client_id`. */
  at: string;
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; entries?: Record<string, unknown>; values?: Set<unknown> };
const defOf = (schema: z.ZodType) => (schema as unknown as { def: Def }).def;

const SAMPLE_TEXT = 'Cross-tenant sweep';
const HINTED_SAMPLES: [RegExp, () => unknown][] = [
  [/phone|^to$|^from$/, uniquePhone],
  [/email/, () => `sweep-${randomUUID().slice(0, 8)}@example.com`],
  [/timezone/, () => 'America/Chicago'],
  [/url/, () => 'https://example.com/sweep.png'],
  [/_at$|^before$|^after$|_until$/, () => new Date(Date.now() + 3_600_000).toISOString()],
  [/^status$/, () => 'delivered'],
];

function sampleValue(schema: z.ZodType, name: string, place: Place): unknown {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'readonly':
      return sampleValue(def.innerType!, name, place);
    case 'pipe':
      return sampleValue(def.in!, name, place);
    case 'object':
      return sampleObject(schema, place);
    case 'array':
      return [sampleValue(def.element!, name, place)];
    case 'enum':
      return Object.values(def.entries!)[0];
    case 'literal':
      return [...def.values!][0];
    case 'union':
      return sampleValue(def.options![0], name, place);
  }
  const candidates = [...HINTED_SAMPLES.filter(([hint]) => hint.test(name)).map(([, make]) => make()), SAMPLE_TEXT, 1, 60, 3600, true, '1'];
  return candidates.find((value) => accepts(schema, value)) ?? SAMPLE_TEXT;
}

function sampleObject(schema: z.ZodType, place: Place): Record<string, unknown> {
  const fields: [string, unknown][] = [];
  for (const [name, field] of Object.entries(shapeOf(schema) ?? {})) {
    if (isReference(place, name)) fields.push([name, new Slot(name, name.endsWith('_ids'))]);
    else if (!accepts(field, undefined)) fields.push([name, sampleValue(field, name, place)]);
  }
  return Object.fromEntries(fields);
}

function pathParams(spec: Route): Record<string, Slot | string> {
  const shape = shapeOf(spec.params) ?? {};
  const names = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return Object.fromEntries(names.map((name) => [name, isReference('path', name) ? new Slot(name) : String(shape[name] ? sampleValue(shape[name], name, 'path') : '1')]));
}

function queryParams(spec: Route): Record<string, Slot | string> {
  const sampled = Object.entries(sampleObject(spec.query ?? ({} as z.ZodType), 'query'));
  return Object.fromEntries(sampled.map(([name, value]) => [name, value instanceof Slot ? value : String(value)]));
}

/** Other valid shapes of a body worth sweeping: each gets the same probes as the table's own. */
const OTHER_BODIES: Record<string, { variant: string; body: () => unknown }[]> = {
  'POST /sms/send': [
    {
      variant: 'as a bulk send',
      body: () => ({ business_id: new Slot('business_id'), recipients: [{ to: uniquePhone() }, { client_id: new Slot('client_id') }], body: SAMPLE_TEXT }),
    },
  ],
  'POST /email/send': [
    {
      variant: 'as a bulk send',
      body: () => ({
        business_id: new Slot('business_id'),
        recipients: [{ to: `sweep-${randomUUID().slice(0, 8)}@example.com` }, { client_id: new Slot('client_id') }],
        subject: SAMPLE_TEXT,
        text: SAMPLE_TEXT,
      }),
    },
  ],
};

/** Query fields a route needs although its schema cannot say so (one of query or body must carry them). */
const NEEDED_QUERY: Record<string, Record<string, string>> = {
  'POST /businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/status': { status: 'pending' },
};

/** Body fields a route needs although its schema cannot say so (one of several optional ones must be given). */
const NEEDED_BODY: Record<string, Record<string, unknown>> = {
  'POST /email/send': { text: SAMPLE_TEXT },
  'POST /email/record': { text: SAMPLE_TEXT },
};

function templatesOf(spec: Route): Template[] {
  const base = { spec, params: pathParams(spec), query: { ...queryParams(spec), ...NEEDED_QUERY[label(spec)] } };
  const body = spec.body ? { ...sampleObject(spec.body, 'body'), ...NEEDED_BODY[label(spec)] } : undefined;
  return [{ ...base, variant: '', body }, ...(OTHER_BODIES[label(spec)] ?? []).map((other) => ({ ...base, variant: other.variant, body: other.body() }))];
}

function walk(value: unknown, at: (string | number)[], visit: (slot: Slot, at: (string | number)[]) => unknown): unknown {
  if (value instanceof Slot) return visit(value, at);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...at, i], visit));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...at, k], visit)]));
  return value;
}

function idFieldsOf(template: Template): IdField[] {
  const fields: IdField[] = [];
  for (const place of ['path', 'query', 'body'] as const) {
    const value = place === 'path' ? template.params : place === 'query' ? template.query : template.body;
    walk(value, [], (slot, at) => fields.push({ place, name: slot.name, at: at.join('.') }));
  }
  return fields;
}

const sameField = (x: IdField, y: IdField) => x.place === y.place && x.at === y.at;

interface Filled {
  url: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/** Routes whose id fields name rows of another kind than the field's name says: an email's status takes an email. */
const KIND_BY_ROUTE: Record<string, Record<string, Kind>> = {
  'POST /email/status': { message_id: 'email_message', provider_message_id: 'email_provider_message' },
  'POST /email/record': { provider_message_id: 'email_provider_message' },
};

/** The template's request, each id taken from the tenant `owner` picks for it. */
function fill(template: Template, owner: (field: IdField) => TenantIds): Filled {
  const idFor = (place: Place) => (slot: Slot, at: (string | number)[]) => {
    const kind = KIND_BY_ROUTE[label(template.spec)]?.[slot.name] ?? kindOf(slot.name);
    if (!kind) throw new Error(`no fixture id for ${place} field ${slot.name}: add its kind to KINDS`);
    const id = owner({ place, name: slot.name, at: at.join('.') })[kind];
    return slot.many ? [id] : id;
  };
  const params = walk(template.params, [], idFor('path')) as Record<string, unknown>;
  const query = walk(template.query, [], idFor('query')) as Record<string, unknown>;
  const asText = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
  const path = template.spec.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(params[name])));
  const search = new URLSearchParams(asText(query)).toString();
  return { url: search ? `${path}?${search}` : path, params: asText(params), query: asText(query), body: walk(template.body, [], idFor('body')) };
}

/** Why the request would fail the route's own validation (so a refusal would not be the tenancy check). */
function schemaProblems(spec: Route, request: Filled): string[] {
  const problems: string[] = [];
  const check = (schema: z.ZodType | undefined, value: unknown, place: Place) => {
    const result = schema?.safeParse(value);
    if (result && !result.success) problems.push(...result.error.issues.map((i) => `${place}.${i.path.join('.')}: ${i.message}`));
  };
  check(spec.params, request.params, 'path');
  check(spec.query, request.query, 'query');
  check(spec.body, request.body, 'body');
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Probes: what B tries against A for each template, and what it must get.

type Expectation = 'forbidden' | 'not found' | 'not found or invalid' | 'filtered to nothing' | 'not found, invalid or taken';

interface Probe {
  template: Template;
  what: string;
  /** Which fields get A's ids; every other id is B's own. */
  aimsAt: (field: IdField) => boolean;
  expect: Expectation;
}

const names = (fields: IdField[]) => fields.map((f) => (f.at === f.name ? f.name : f.at)).join(' and ');

/** Keys the caller picks that are unique across tenants (a provider's message id): A's is refused as taken (409) or unknown. */
const GLOBALLY_UNIQUE_KEYS = new Set(['provider_message_id']);

function probesOf(template: Template): Probe[] {
  const fields = idFieldsOf(template);
  const probe = (what: string, aimed: IdField[] | 'all', expect: Expectation): Probe => ({
    template,
    what,
    aimsAt: aimed === 'all' ? () => true : (field) => aimed.some((a) => sameField(a, field)),
    expect,
  });
  if (template.spec.access === 'admin') return [probe("naming A's ids (an admin-only route)", 'all', 'forbidden')];

  const businesses = fields.filter((f) => f.name === 'business_id');
  const pathIds = fields.filter((f) => f.place === 'path' && f.name !== 'business_id');
  const probes: Probe[] = [];
  if (businesses.length > 0) probes.push(probe("naming A's business (and A's other ids)", 'all', 'forbidden'));
  if (businesses.length > 1) probes.push(...businesses.map((f) => probe(`naming A's business in ${f.place}.${f.at} only`, [f], 'forbidden')));
  if (pathIds.length > 0) probes.push(probe(`with B's business but A's ${names(pathIds)} in the path`, pathIds, 'not found'));
  if (pathIds.length > 1) probes.push(...pathIds.map((f) => probe(`with B's business but A's ${f.name} in the path`, [f], 'not found')));
  for (const f of fields.filter((f) => f.place === 'body' && f.name !== 'business_id')) {
    probes.push(probe(`with B's business but A's ${names([f])} in the body`, [f], GLOBALLY_UNIQUE_KEYS.has(f.name) ? 'not found, invalid or taken' : 'not found or invalid'));
  }
  for (const f of fields.filter((f) => f.place === 'query' && f.name !== 'business_id')) {
    probes.push(probe(`with B's business but A's ${f.name} as a query filter`, [f], 'filtered to nothing'));
  }
  return probes;
}

const SWEPT = ROUTES.filter(needsCredentials);
const TEMPLATES = SWEPT.flatMap(templatesOf);
const PROBES = TEMPLATES.flatMap(probesOf);
const titleOf = (template: Template) => `${label(template.spec)}${template.variant ? ` ${template.variant}` : ''}`;
const STATUS_WORDS: Record<Expectation, string> = {
  forbidden: 'is a 403',
  'not found': 'is a 404',
  'not found or invalid': 'is a 404 (or a 422), never a 2xx',
  'not found, invalid or taken': 'is a 404, 409 or 422, never a 2xx',
  'filtered to nothing': "is a 404 or matches none of A's rows",
};

// ---------------------------------------------------------------------------------------------------------
// The two tenants.

interface Fixture {
  tenant: Tenant;
  extraStaff: Staff;
  ids: TenantIds;
  /** The key the admin issued; for B the sweep's key, for A the one revoked at the end. */
  apiKey: string;
  apiKeyId: number;
  sessionToken: string;
  messageBody: string;
}

let stack: TestStack;
let isolatedDatabase: Awaited<ReturnType<typeof useIsolatedDatabase>> | undefined;
let A: Fixture;
let B: Fixture;

const call = (method: string, path: string, options: Parameters<typeof api>[3] = {}) => api(stack.baseUrl, method.toUpperCase(), path, options);
const send = (template: Template, request: Filled, auth: Parameters<typeof api>[3]) =>
  call(template.spec.method, request.url, { ...auth, body: template.spec.body ? request.body : undefined });

/**
 * A's rows get ids from a range of their own per table (71…, 72…, …): an A id anywhere in a response to
 * B is a leak, whatever the field is called, and cannot be one of B's ids or a count by chance.
 */
const A_ID_RANGES: Record<string, number> = {
  businesses: 71_000_000_000,
  locations: 72_000_000_000,
  staff: 73_000_000_000,
  clients: 74_000_000_000,
  conversations: 75_000_000_000,
  messages: 76_000_000_000,
  message_status_events: 77_000_000_000,
  api_keys: 78_000_000_000,
  sessions: 79_000_000_000,
};

async function startIdsAt(ranges: Record<string, number>): Promise<void> {
  const connection = stack.orm.em.getConnection();
  for (const [table, start] of Object.entries(ranges)) await connection.execute(`select setval(pg_get_serial_sequence('${table}', 'id'), ${start})`);
}

async function arrangeTenant(name: string): Promise<Fixture> {
  const em = stack.orm.em.fork() as EntityManager;
  const tenant = await createTenant(em);
  const businessId = tenant.business.id;
  // Both tenants can email: the email routes' refusals are then the tenancy check, not a missing sender or address.
  tenant.business.emailFromAddress = `front-desk-${name.toLowerCase()}-${businessId}@example.com`;
  tenant.client.email = `client-${name.toLowerCase()}-${businessId}@example.com`;
  await em.flush();
  const extraStaff = new Staff({ businessId, firstName: 'Extra', lastName: name, email: `extra-${businessId}@example.com`, locationIds: [tenant.location.id] });
  await em.persistAndFlush(extraStaff);

  const requestId = `cross-tenant-${name}-${randomUUID()}`;
  const messageBody = `Private to tenant ${name} ${randomUUID()}`;
  const sent = await call('POST', '/sms/send', { body: { business_id: businessId, client_id: tenant.client.id, body: messageBody, request_id: requestId } });
  expect(sent.status).toBe(202);
  const [queued] = sent.body.messages;
  const outcome = await stack.env.client.workflow.getHandle(queued.workflow_id).result();
  expect(outcome.status).toBe('DELIVERED');
  await em.nativeUpdate(Conversation, { id: queued.conversation_id }, { assignedStaffId: extraStaff.id });
  const delivered = await call('GET', `/messages/request/${requestId}?business_id=${businessId}`);
  expect(delivered.body.messages[0].status).toBe('DELIVERED');

  const issue = async () => {
    const issued = await call('POST', `/businesses/${businessId}/api-keys`, { body: { name: `cross-tenant ${name}` } });
    expect(issued.status).toBe(201);
    return issued.body as { id: number; api_key: string };
  };
  const key = await issue();
  const spare = await issue();
  const opened = await call('POST', '/auth/token', { key: key.api_key, body: { business_id: businessId, staff_id: extraStaff.id } });
  expect(opened.status).toBe(201);
  const session = await em.findOneOrFail(Session, { businessId }, { orderBy: { id: 'desc' } });
  const mailed = await call('POST', '/email/send', {
    body: { business_id: businessId, client_id: tenant.client.id, subject: 'Cross-tenant', text: messageBody, request_id: `${requestId}-email` },
  });
  expect(mailed.status).toBe(202);
  const mail = await stack.env.client.workflow.getHandle(mailed.body.messages[0].workflow_id).result();
  expect(mail.status).toBe('DELIVERED');
  const retry = await call('POST', '/messages/retry', { body: { business_id: businessId } });
  expect(retry.status).toBe(202);

  return {
    tenant,
    extraStaff,
    apiKey: key.api_key,
    apiKeyId: key.id,
    sessionToken: opened.body.access_token,
    messageBody,
    ids: {
      business: businessId,
      location: tenant.location.id,
      staff: tenant.staff.id,
      client: tenant.client.id,
      conversation: queued.conversation_id,
      message: queued.message_id,
      provider_message: delivered.body.messages[0].provider_message_id,
      email_message: mailed.body.messages[0].message_id,
      email_provider_message: mail.providerMessageId!,
      request: requestId,
      // Another key of the business: the sweep's `key_id`, so the control's DELETE revokes this one.
      key: spare.id,
      session: session.id,
      // A retry workflow of the business (it found nothing to retry): the sweep's `workflow_id`.
      workflow: retry.body.workflow_id,
    },
  };
}

/** Everything of A's in the database, and every row that points at one of A's: counts and a hash of the rows. */
async function snapshotOfA(): Promise<Record<string, { rows: number; hash: string }>> {
  const b = Number(A.ids.business);
  const of = (table: string) => `(select id from ${table} where business_id = ${b})`;
  const where: Record<string, string> = {
    businesses: `id = ${b}`,
    locations: `business_id = ${b}`,
    staff: `business_id = ${b}`,
    clients: `business_id = ${b}`,
    conversations: `business_id = ${b} or client_id in ${of('clients')} or location_id in ${of('locations')} or assigned_staff_id in ${of('staff')}`,
    messages: `business_id = ${b} or client_id in ${of('clients')} or conversation_id in ${of('conversations')} or staff_id in ${of('staff')}`,
    message_status_events: `message_id in ${of('messages')} or provider_message_id in (select provider_message_id from messages where business_id = ${b})`,
    api_keys: `business_id = ${b}`,
    sessions: `business_id = ${b} or staff_id in ${of('staff')}`,
  };
  const connection = stack.orm.em.getConnection();
  const snapshot: Record<string, { rows: number; hash: string }> = {};
  for (const [table, condition] of Object.entries(where)) {
    const [row] = await connection.execute(
      `select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t.id), '')) as hash from ${table} t where ${condition}`,
    );
    snapshot[table] = row as { rows: number; hash: string };
  }
  return snapshot;
}

/** Values that are A's alone: none may reach B unless B's own request carried it. */
function markersOf(fixture: Fixture): string[] {
  const { tenant } = fixture;
  return [
    ...Object.values(fixture.ids).map(String),
    String(fixture.extraStaff.id),
    tenant.business.name,
    tenant.location.phoneNumber!,
    tenant.client.phone!,
    tenant.staff.email!,
    fixture.extraStaff.email!,
    fixture.apiKey,
    fixture.sessionToken,
    fixture.messageBody,
  ];
}

function leaksOfA(response: HttpResult, request: Filled): string[] {
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? null);
  const sent = `${request.url} ${JSON.stringify(request.body ?? null)}`;
  const appears = (marker: string, where: string) => (/^\d+$/.test(marker) ? new RegExp(`(?<!\\d)${marker}(?!\\d)`).test(where) : where.includes(marker));
  return markersOf(A).filter((marker) => appears(marker, text) && !appears(marker, sent));
}

// ---------------------------------------------------------------------------------------------------------
// Assertions.

/** An asymmetric matcher: one of these values. */
const oneOf = (...values: number[]) => ({
  asymmetricMatch: (actual: unknown) => values.includes(actual as number),
  toAsymmetricMatcher: () => `one of ${values.join(', ')}`,
});

function expectRefusal(response: HttpResult, statuses: number[]): void {
  const body = response.status === 422 ? { detail: expect.any(Array) } : { detail: expect.stringMatching(/\S/) };
  expect({ status: response.status, body: response.body }).toMatchObject({ status: oneOf(...statuses), body });
}

function expectOutcome(expectation: Expectation, response: HttpResult): void {
  switch (expectation) {
    case 'forbidden':
      return expectRefusal(response, [403]);
    case 'not found':
      return expectRefusal(response, [404]);
    case 'not found or invalid':
      return expectRefusal(response, [404, 422]);
    case 'not found, invalid or taken':
      return expectRefusal(response, [404, 409, 422]);
    case 'filtered to nothing':
      if (response.status === 404) return expectRefusal(response, [404]);
      expect({ status: response.status, total: response.body?.total, items: response.body?.items }).toMatchObject({
        status: 200,
        ...('total' in (response.body ?? {}) ? { total: 0, items: [] } : {}),
      });
  }
}

const swept: { route: string; credential: string; status: number }[] = [];
let snapshotBefore: Awaited<ReturnType<typeof snapshotOfA>>;
let sandboxMessagesBefore: number;
let sandboxMailsBefore: number;

beforeAll(async () => {
  // A database of our own: A's ids come from ranges set on its sequences, which other files must not share.
  isolatedDatabase = await useIsolatedDatabase('cross_tenant');
  stack = await startTestStack();

  B = await arrangeTenant('B');
  await startIdsAt(A_ID_RANGES);
  A = await arrangeTenant('A');

  snapshotBefore = await snapshotOfA();
  sandboxMessagesBefore = stack.sandbox.messages().length;
  sandboxMailsBefore = stack.sandbox.mails().length;
});

afterAll(async () => {
  await stack?.close();
  await isolatedDatabase?.release();
});

// ---------------------------------------------------------------------------------------------------------

describe('the sweep covers the route table', () => {
  test('every id-like field of every route maps to a kind of id the tenants have', () => {
    const unmapped = TEMPLATES.flatMap((t) => idFieldsOf(t).filter((f) => !kindOf(f.name)).map((f) => `${titleOf(t)}: ${f.place}.${f.at}`));

    expect(unmapped).toEqual([]);
  });

  test('every route that takes credentials has at least one request aimed at A', () => {
    const unaimed = SWEPT.filter((spec) => !PROBES.some((p) => p.template.spec === spec)).map(label);

    expect(SWEPT.length).toBeGreaterThan(0);
    expect(unaimed).toEqual([]);
  });

  test("every request of the sweep passes its route's validation, so a refusal is the tenancy check", () => {
    const invalid = PROBES.filter((p) => p.template.spec.access !== 'admin').flatMap((p) =>
      schemaProblems(p.template.spec, fill(p.template, (f) => (p.aimsAt(f) ? A : B).ids)).map((problem) => `${titleOf(p.template)} ${p.what}: ${problem}`),
    );

    expect(invalid).toEqual([]);
  });
});

const CREDENTIALS: { name: string; auth: () => Parameters<typeof api>[3] }[] = [
  { name: 'API key', auth: () => ({ key: B.apiKey }) },
  { name: 'session token', auth: () => ({ key: null, headers: { Authorization: `Bearer ${B.sessionToken}` } }) },
];

describe.each(CREDENTIALS)("B with its $name, aiming at A's business and rows", ({ name: credential, auth }) => {
  test.each(PROBES.map((p) => [`${titleOf(p.template)} ${p.what} ${STATUS_WORDS[p.expect]}`, p] as const))('%s', async (_title, probe) => {
    const request = fill(probe.template, (f) => (probe.aimsAt(f) ? A : B).ids);

    const response = await send(probe.template, request, auth());

    swept.push({ route: label(probe.template.spec), credential, status: response.status });
    expectOutcome(probe.expect, response);
    expect(leaksOfA(response, request)).toEqual([]);
  });

  test("reading A's messages by A's request id, naming no business, is a 404", async () => {
    const url = `/messages/request/${A.ids.request}`;

    const response = await call('GET', url, auth());

    expectRefusal(response, [404]);
    expect(leaksOfA(response, { url, params: {}, query: {}, body: null })).toEqual([]);
  });
});

describe('after the sweep', () => {
  test('every route that takes credentials was called with both of B\'s credentials', () => {
    const called = new Set(swept.map((s) => `${s.route} with ${s.credential}`));
    const missing = SWEPT.flatMap((spec) => CREDENTIALS.map((c) => `${label(spec)} with ${c.name}`)).filter((c) => !called.has(c));

    expect(missing).toEqual([]);
  });

  test('no request of the sweep was answered with a 5xx', () => {
    expect(swept.filter((s) => s.status >= 500)).toEqual([]);
  });

  test("A's businesses, locations, staff, clients, conversations, messages, status events, keys and sessions are unchanged", async () => {
    expect(await snapshotOfA()).toEqual(snapshotBefore);
  });

  test('nothing was sent through the provider', () => {
    expect(stack.sandbox.messages()).toHaveLength(sandboxMessagesBefore);
    expect(stack.sandbox.mails()).toHaveLength(sandboxMailsBefore);
  });
});

/**
 * Routes whose answer to B's own fixture depends on the row's state, not on tenancy: B's message
 * was delivered, so canceling it is a 409 — past every tenancy check. Its success is tested in sms-send.
 */
const STATE_REFUSALS: Record<string, number[]> = { 'POST /messages/{message_id}/cancel': [409] };

describe("the same requests with B's own ids (the control: they are valid and allowed)", () => {
  test.each(TEMPLATES.filter((t) => t.spec.access === 'authenticated').map((t) => [titleOf(t), t] as const))('%s succeeds for B', async (_title, template) => {
    const request = fill(template, () => B.ids);

    const response = await send(template, request, { key: B.apiKey });

    expect({ status: response.status, body: response.body }).toMatchObject({ status: oneOf(200, 201, 202, 204, ...(STATE_REFUSALS[label(template.spec)] ?? [])) });
    expect(leaksOfA(response, request)).toEqual([]);
  });

  test("B reusing A's request id in a send makes B's own new message and never returns A's", async () => {
    const body = { business_id: B.ids.business, client_id: B.ids.client, body: 'Same key, other tenant', request_id: A.ids.request };

    const response = await call('POST', '/sms/send', { key: B.apiKey, body });

    expect(response.status).toBe(202);
    expect(response.body.messages.map((m: { message_id: number }) => m.message_id)).not.toContain(A.ids.message);
    expect(leaksOfA(response, { url: '/sms/send', params: {}, query: {}, body })).toEqual([]);
  });
});

describe('the admin key and a revoked key', () => {
  const reads = TEMPLATES.filter((t) => t.spec.access === 'authenticated' && t.spec.method === 'get');

  test.each(reads.map((t) => [titleOf(t), t] as const))('the admin key reads A and B through %s', async (_title, template) => {
    const [forA, forB] = await Promise.all([A, B].map((tenant) => send(template, fill(template, () => tenant.ids), {})));

    expect([forA.status, forB.status]).toEqual([200, 200]);
  });

  test("A's key works for A until the admin key revokes it", async () => {
    const before = await call('GET', `/businesses/${A.ids.business}/api-keys`, { key: A.apiKey });

    const revoked = await call('DELETE', `/businesses/${A.ids.business}/api-keys/${A.apiKeyId}`);

    expect(before.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'REVOKED' });
  });

  test.each(TEMPLATES.map((t) => [titleOf(t), t] as const))("%s answers 401 to A's revoked key", async (_title, template) => {
    const response = await send(template, fill(template, () => A.ids), { key: A.apiKey });

    expectRefusal(response, [401]);
  });

  test("B's key and session still work after A's key is revoked", async () => {
    const byKey = await call('GET', `/businesses/${B.ids.business}/locations`, { key: B.apiKey });
    const bySession = await call('GET', `/businesses/${B.ids.business}/locations`, { key: null, headers: { Authorization: `Bearer ${B.sessionToken}` } });

    expect([byKey.status, bySession.status]).toEqual([200, 200]);
  });
});
