import { generateKeyPairSync } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import pino from 'pino';
import twilio from 'twilio';
import { z } from 'zod';
import { apiRoutes } from '../../api/app';
import { DEFAULT_BODY_LIMIT } from '../../api/middleware/body';
import type { Route } from '../../api/route';
import { loadConfig } from '../../config/env';
import { Message } from '../../db/entities';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { EventSigner, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../sandbox/sendgrid/event-webhook';
import { createTenant, type Tenant } from '../support/factories';
import { api, type HttpResult } from '../support/http';
import { ROUTES, accepts, label, needsCredentials, shapeOf } from '../support/route-table';
import { useIsolatedDatabase } from '../support/isolated-database';
import { startTestStack, type TestStack } from '../support/stack';

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const BAD_INTEGER_IDS = ['abc', '-1', '0', '99999999999999999999', '1.5', '1e3', ' 1'];
const WRONG_TYPE_CANDIDATES: unknown[] = [{ unexpected: true }, 123.5, 'not-a-valid-value', [], true];
const BAD_TEXT_PARAMS = ['x'.repeat(300), 'with space', 'ünïcode'];
const FALLBACK_WRONG_BODY = { business_id: 'x', body: 123, to: [], request_id: {} };
const SEEDED_PROVIDER_ID = `SM${'e'.repeat(32)}`;
const WRONG_KEY = 'wrong-key-0123456789abcdef';

const isJsonBodyRoute = (spec: Route) => spec.body !== undefined && (spec.bodyKind ?? 'json') === 'json';
const isFormBodyRoute = (spec: Route) => spec.body !== undefined && spec.bodyKind === 'form';
/** An empty body of the kind the route reads, so that the probe reaches the part it is about. */
const emptyBody = (spec: Route) =>
  isFormBodyRoute(spec) ? { rawBody: '', contentType: 'application/x-www-form-urlencoded' } : { json: spec.body ? {} : undefined };

/** A path or query field that reads digits as a positive integer id. */
function isIntegerId(field: z.ZodType): boolean {
  const one = field.safeParse('1');
  return one.success && one.data === 1 && !accepts(field, 'abc');
}

function sampleTextValue(field: z.ZodType): string {
  return ['1', 'x', 'true', 'active', 'sms'].find((v) => accepts(field, v)) ?? '1';
}

function pathOf(spec: Route, overrides: Record<string, string> = {}): string {
  const shape = shapeOf(spec.params) ?? {};
  const path = spec.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    name in overrides ? overrides[name] : encodeURIComponent(shape[name] ? sampleTextValue(shape[name]) : '1'),
  );
  const required = Object.entries(shapeOf(spec.query) ?? {}).filter(([, field]) => !accepts(field, undefined));
  const query = new URLSearchParams(required.map(([name, field]): [string, string] => [name, sampleTextValue(field)]));
  return required.length > 0 ? `${path}?${query}` : path;
}

function wrongTypeBody(spec: Route): { body: Record<string, unknown>; fields: string[] } {
  const shape = shapeOf(spec.body);
  if (!shape) return { body: FALLBACK_WRONG_BODY, fields: [] };
  const entries = Object.entries(shape).map(([name, field]) => [name, WRONG_TYPE_CANDIDATES.find((v) => !accepts(field, v))] as const);
  const wrong = entries.filter(([, value]) => value !== undefined);
  return { body: Object.fromEntries(wrong), fields: wrong.map(([name]) => name) };
}

const seen: { request: string; response: HttpResult }[] = [];

let stack: TestStack;
let tenant: Tenant;
let seededMessage: Message;
let isolatedDatabase: Awaited<ReturnType<typeof useIsolatedDatabase>> | undefined;

async function call(
  method: string,
  path: string,
  options: { json?: unknown; rawBody?: string; contentType?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.contentType) headers['Content-Type'] = options.contentType;
  const rawBody = options.json !== undefined ? JSON.stringify(options.json) : options.rawBody;
  if (options.json !== undefined) headers['Content-Type'] ??= 'application/json';
  const response = await api(stack.baseUrl, method.toUpperCase(), path, { rawBody, headers, key: options.key });
  seen.push({ request: `${method.toUpperCase()} ${path.slice(0, 120)}`, response });
  return response;
}

/**
 * A call to a route's own path. A JSON route that providers call (SendGrid's Event Webhook) checks its signature
 * before reading the body: its probes are signed with the sandbox's development key, so that they reach the parser.
 */
function callSigned(spec: Route, options: Parameters<typeof call>[2] & {} = {}): Promise<HttpResult> {
  if (spec.access !== 'provider') return call(spec.method, pathOf(spec), options);
  const raw = options.json !== undefined ? JSON.stringify(options.json) : (options.rawBody ?? '');
  return call(spec.method, pathOf(spec), { ...options, key: null, headers: { ...sendgridSignature(raw), ...options.headers } });
}

function sendgridSignature(raw: string, privateKey: string = SANDBOX_DEFAULTS.sendgridEventWebhookPrivateKey): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { [SIGNATURE_HEADER]: new EventSigner(privateKey).sign(timestamp, raw), [TIMESTAMP_HEADER]: timestamp };
}

/** Why a response is not an error in the contract's shape, or undefined when it is. */
function contractShapeProblem(response: HttpResult): string | undefined {
  if (!/^application\/json/.test(response.headers.get('content-type') ?? '')) return `content-type ${response.headers.get('content-type')}`;
  const detail = (response.body as { detail?: unknown } | undefined)?.detail;
  if (response.status !== 422) return typeof detail === 'string' && detail.length > 0 ? undefined : `detail is ${JSON.stringify(detail)}`;
  if (!Array.isArray(detail) || detail.length === 0) return `422 detail is ${JSON.stringify(detail)}`;
  const bad = detail.find(
    (d: { loc?: unknown; msg?: unknown; type?: unknown }) =>
      !Array.isArray(d.loc) ||
      !['path', 'query', 'body', 'header'].includes(d.loc[0]) ||
      !d.loc.every((p: unknown) => typeof p === 'string' || typeof p === 'number') ||
      typeof d.msg !== 'string' ||
      typeof d.type !== 'string',
  );
  return bad ? `422 entry ${JSON.stringify(bad)}` : undefined;
}

function expectError(response: HttpResult, statuses: number | number[]): void {
  expect([statuses].flat()).toContain(response.status);
  expect(contractShapeProblem(response)).toBeUndefined();
}

function expectValidationError(response: HttpResult, location: string): { loc: (string | number)[] }[] {
  expectError(response, 422);
  const detail = response.body.detail as { loc: (string | number)[] }[];
  expect(detail.map((d) => d.loc[0])).toEqual(detail.map(() => location));
  return detail;
}

async function rowCounts(): Promise<Record<string, number>> {
  const tables = ['businesses', 'clients', 'conversations', 'messages', 'message_status_events'];
  const [row] = await stack.orm.em
    .getConnection()
    .execute(`select ${tables.map((t) => `(select count(*) from ${t})::int as ${t}`).join(', ')}`);
  return row as Record<string, number>;
}

let countsBefore: Record<string, number>;

beforeAll(async () => {
  // Other test files share the run's database and write to it concurrently: row counts are only
  // meaningful in a database of our own.
  isolatedDatabase = await useIsolatedDatabase('bad_input');
  stack = await startTestStack();

  const em = stack.orm.em.fork() as EntityManager;
  tenant = await createTenant(em);
  seededMessage = Object.assign(new Message(), {
    businessId: tenant.business.id,
    clientId: tenant.client.id,
    channel: 'sms',
    direction: 'outbound',
    status: 'SENT',
    body: 'Seeded',
    fromAddress: tenant.location.phoneNumber,
    toAddress: tenant.client.phone,
    providerMessageId: SEEDED_PROVIDER_ID,
    attempts: 1,
    sentAt: new Date(),
  });
  await em.persistAndFlush(seededMessage);
  countsBefore = await rowCounts();
});

afterAll(async () => {
  await stack?.close();
  await isolatedDatabase?.release();
});

describe('the route table', () => {
  test('is the table the running API serves and documents: every non-hidden route is in /openapi.json', async () => {
    const served = apiRoutes({ orm: stack.orm, temporal: stack.env.client, config: stack.config, logger: pino({ level: 'silent' }) });

    const document = await call('get', '/openapi.json', { key: null });

    expect(served.map(label)).toEqual(ROUTES.map(label));
    expect(document.status).toBe(200);
    const documented = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented).toEqual(expect.arrayContaining(served.filter((r) => !r.hidden).map(label)));
  });
});

describe('credentials', () => {
  for (const spec of ROUTES.filter(needsCredentials)) {
    test(`${label(spec)} without X-API-KEY is a 401`, async () => {
      const response = await call(spec.method, pathOf(spec), { key: null, json: spec.body ? {} : undefined });

      expectError(response, 401);
    });

    test(`${label(spec)} with an empty X-API-KEY is a 401`, async () => {
      const response = await call(spec.method, pathOf(spec), { key: '', json: spec.body ? {} : undefined });

      expectError(response, 401);
    });

    test(`${label(spec)} with a wrong X-API-KEY is a 401`, async () => {
      const response = await call(spec.method, pathOf(spec), { key: WRONG_KEY, json: spec.body ? {} : undefined });

      expectError(response, 401);
    });

    test(`${label(spec)} with a made-up bearer token is a 401`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        key: null,
        headers: { Authorization: 'Bearer not-a-session-token' },
        json: spec.body ? {} : undefined,
      });

      expectError(response, 401);
    });
  }
});

describe('JSON bodies', () => {
  for (const spec of ROUTES.filter(isJsonBodyRoute)) {
    const body = spec.body!;

    test(`${label(spec)} with malformed JSON is a 422 located in the body`, async () => {
      const response = await callSigned(spec, { rawBody: '{"a":', contentType: 'application/json' });

      expectValidationError(response, 'body');
    });

    const notObjects: [string, string][] = [
      ['a JSON array', '[1, 2]'],
      ['a JSON string', '"text"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['an empty body', ''],
    ];
    for (const [what, raw] of notObjects.filter(([, raw]) => !accepts(body, raw === '' ? undefined : JSON.parse(raw)))) {
      test(`${label(spec)} with ${what} instead of an object is a 422 located in the body`, async () => {
        const response = await callSigned(spec, { rawBody: raw, contentType: 'application/json' });

        expectValidationError(response, 'body');
      });
    }

    test(`${label(spec)} with every known field of the wrong type is a 422 naming each field`, async () => {
      const { body: wrong, fields } = wrongTypeBody(spec);

      const response = await callSigned(spec, { json: wrong });

      const detail = expectValidationError(response, 'body');
      expect(detail.map((d) => d.loc[1])).toEqual(expect.arrayContaining(fields));
    });

    test(`${label(spec)} with a body one byte over the limit is a 413`, async () => {
      const limit = spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
      const oversized = `"${'a'.repeat(limit - 1)}"`;

      const response = await callSigned(spec, { rawBody: oversized, contentType: 'application/json' });

      expect(Buffer.byteLength(oversized)).toBe(limit + 1);
      expectError(response, 413);
    });

    test(`${label(spec)} with Content-Type text/plain is a 415 or 422`, async () => {
      const response = await callSigned(spec, { rawBody: '{}', contentType: 'text/plain' });

      expectError(response, [415, 422]);
    });
  }
});

describe('path and query parameters', () => {
  for (const spec of ROUTES) {
    const params = shapeOf(spec.params) ?? {};
    for (const [name, field] of Object.entries(params)) {
      const badValues = isIntegerId(field) ? BAD_INTEGER_IDS : BAD_TEXT_PARAMS.filter((v) => !accepts(field, v));
      for (const bad of badValues) {
        test(`${label(spec)} with ${name}=${JSON.stringify(bad.slice(0, 24))} is a 422 located at path.${name}`, async () => {
          const response = await call(spec.method, pathOf(spec, { [name]: encodeURIComponent(bad) }), { json: spec.body ? {} : undefined });

          expectError(response, 422);
          expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['path', name] })]));
        });
      }

      test(`${label(spec)} with a malformed percent-encoding in ${name} is a 4xx`, async () => {
        const response = await call(spec.method, pathOf(spec, { [name]: '%E0%A4%A' }), { json: spec.body ? {} : undefined });

        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      });
    }

    for (const [name, field] of Object.entries(shapeOf(spec.query) ?? {})) {
      const bad = isIntegerId(field) ? ['abc', '0', '-1', '99999999999999999999'] : [];
      for (const value of bad) {
        test(`${label(spec)} with query ${name}=${value} is a 422 located at query.${name}`, async () => {
          const path = pathOf(spec);
          const response = await call(spec.method, `${path}${path.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`, emptyBody(spec));

          expectError(response, 422);
          expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['query', name] })]));
        });
      }
      if (!accepts(field, [sampleTextValue(field), sampleTextValue(field)])) {
        test(`${label(spec)} with query ${name} given twice is a 422 located at query.${name}`, async () => {
          const path = pathOf(spec);
          const value = encodeURIComponent(sampleTextValue(field));
          const response = await call(spec.method, `${path}${path.includes('?') ? '&' : '?'}${name}=${value}&${name}=${value}`, emptyBody(spec));

          expectError(response, 422);
          expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: ['query', name] })]));
        });
      }
    }
  }
});

describe('provider webhooks', () => {
  const callback = { MessageSid: SEEDED_PROVIDER_ID, MessageStatus: 'delivered', AccountSid: loadConfig({}).twilio.accountSid };
  const form = new URLSearchParams(callback).toString();

  for (const spec of ROUTES.filter((r) => r.access === 'provider')) {
    const signedBy = (authToken: string, path: string) => twilio.getExpectedTwilioSignature(authToken, `${stack.config.publicBaseUrl}${path}`, callback);

    test(`${label(spec)} without X-Twilio-Signature is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), { rawBody: form, contentType: 'application/x-www-form-urlencoded', key: null });

      expectError(response, 403);
    });

    test(`${label(spec)} with a garbage X-Twilio-Signature is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        rawBody: form,
        contentType: 'application/x-www-form-urlencoded',
        key: null,
        headers: { 'X-Twilio-Signature': 'bm90IGEgc2lnbmF0dXJl' },
      });

      expectError(response, 403);
    });

    test(`${label(spec)} signed with another auth token is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        rawBody: form,
        contentType: 'application/x-www-form-urlencoded',
        key: null,
        headers: { 'X-Twilio-Signature': signedBy('0'.repeat(32), pathOf(spec)) },
      });

      expectError(response, 403);
    });

    test(`${label(spec)} signed for another address is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        rawBody: form,
        contentType: 'application/x-www-form-urlencoded',
        key: null,
        headers: { 'X-Twilio-Signature': signedBy(stack.config.twilio.authToken, `${pathOf(spec)}/elsewhere`) },
      });

      expectError(response, 403);
    });

    test(`${label(spec)} with a signed body that was changed on the way is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        rawBody: new URLSearchParams({ ...callback, MessageStatus: 'read' }).toString(),
        contentType: 'application/x-www-form-urlencoded',
        key: null,
        headers: { 'X-Twilio-Signature': signedBy(stack.config.twilio.authToken, pathOf(spec)) },
      });

      expectError(response, 403);
    });
  }

  for (const spec of ROUTES.filter(isFormBodyRoute)) {
    test(`${label(spec)} with a JSON body is a 403 or 415`, async () => {
      const response = await call(spec.method, pathOf(spec), { json: callback, key: null });

      expectError(response, [403, 415]);
    });

    test(`${label(spec)} with a form body one byte over the limit is a 413`, async () => {
      const limit = spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
      const oversized = `Body=${'a'.repeat(limit - 4)}`;

      const response = await call(spec.method, pathOf(spec), { rawBody: oversized, contentType: 'application/x-www-form-urlencoded', key: null });

      expect(Buffer.byteLength(oversized)).toBe(limit + 1);
      expectError(response, 413);
    });
  }
});

describe('signed JSON webhooks', () => {
  const batch = JSON.stringify([{ event: 'delivered', email: 'a@example.com', timestamp: 1, sg_event_id: 'bad-input-probe', sg_message_id: 'none.filter.0' }]);
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');

  for (const spec of ROUTES.filter((r) => r.access === 'provider' && isJsonBodyRoute(r))) {
    test(`${label(spec)} without a signature is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), { rawBody: batch, contentType: 'application/json', key: null });

      expectError(response, 403);
    });

    test(`${label(spec)} signed with another key is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), { rawBody: batch, contentType: 'application/json', key: null, headers: sendgridSignature(batch, otherKey) });

      expectError(response, 403);
    });

    test(`${label(spec)} with a signed body that was changed on the way is a 403`, async () => {
      const response = await call(spec.method, pathOf(spec), {
        rawBody: batch.replace('delivered', 'bounce'),
        contentType: 'application/json',
        key: null,
        headers: sendgridSignature(batch),
      });

      expectError(response, 403);
    });
  }
});

describe('unknown paths, wrong methods and request ids', () => {
  test.each(['/no-such-path', '/sms/sendx', '/sms/send/1', '/messages/request'])('GET %s is a 404', async (path) => {
    const response = await call('get', path);

    expectError(response, 404);
  });

  test('a method the API does not implement on an unknown path is a 404 or 405, not a 5xx', async () => {
    const response = await call('purge', '/no-such-path');

    expectError(response, [404, 405]);
  });

  test('an unknown path without credentials is a 404 too', async () => {
    const response = await call('post', '/no-such-path', { key: null, json: {} });

    expectError(response, 404);
  });

  const served = new Map<string, Set<string>>();
  for (const spec of ROUTES) served.set(spec.path, (served.get(spec.path) ?? new Set()).add(spec.method));
  for (const [path, methods] of served) {
    const sample = ROUTES.find((r) => r.path === path)!;
    for (const method of HTTP_METHODS.filter((m) => !methods.has(m))) {
      test(`${method.toUpperCase()} ${path} is a 405`, async () => {
        const response = await call(method, pathOf(sample), { json: method === 'get' ? undefined : {} });

        expectError(response, 405);
      });
    }
    test(`PURGE ${path}, a method the API does not implement, is a 405 and not a 5xx`, async () => {
      const response = await call('purge', pathOf(sample));

      expectError(response, 405);
    });
  }

  test('a huge X-Request-Id is replaced by a generated uuid', async () => {
    const response = await call('get', '/health', { headers: { 'X-Request-Id': 'r'.repeat(8000) } });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('an X-Request-Id with unsafe characters is replaced by a generated uuid', async () => {
    const response = await call('get', '/health', { headers: { 'X-Request-Id': 'abc"<script>' } });

    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a sane X-Request-Id is echoed back', async () => {
    const response = await call('get', '/health', { headers: { 'X-Request-Id': 'trace-123.abc' } });

    expect(response.headers.get('x-request-id')).toBe('trace-123.abc');
  });

  test('an error response carries the request id too', async () => {
    const response = await call('get', '/no-such-path', { headers: { 'X-Request-Id': 'trace-404' } });

    expect(response.headers.get('x-request-id')).toBe('trace-404');
  });
});

describe('another business', () => {
  test('sending for a business that does not exist is a 404 and stores nothing', async () => {
    const before = await rowCounts();

    const response = await call('post', '/sms/send', { json: { business_id: 999_999_999_999, to: '+14155550123', body: 'Hi', request_id: 'ghost-1' } });

    expectError(response, 404);
    expect(await rowCounts()).toEqual(before);
  });

  test('sending to a client id that does not exist is a 404 and stores nothing', async () => {
    const before = await rowCounts();

    const response = await call('post', '/sms/send', { json: { business_id: tenant.business.id, client_id: 999_999_999_999, body: 'Hi' } });

    expectError(response, 404);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('after the sweep', () => {
  test('the sweep made requests', () => {
    expect(seen.length).toBeGreaterThan(ROUTES.length);
  });

  test('no response was a 5xx', () => {
    const failures = seen.filter(({ response }) => response.status >= 500).map(({ request, response }) => `${request} → ${response.status}`);

    expect(failures).toEqual([]);
  });

  test('every error response is JSON in the contract\'s shape', () => {
    const problems = seen
      .filter(({ response }) => response.status >= 400)
      .map(({ request, response }) => [request, response.status, contractShapeProblem(response)])
      .filter(([, , problem]) => problem !== undefined);

    expect(problems).toEqual([]);
  });

  test('no business, client, conversation, message or status event was created', async () => {
    expect(await rowCounts()).toEqual(countsBefore);
  });

  test('the message the webhooks named is unchanged', async () => {
    const message = await stack.orm.em.fork().findOneOrFail(Message, { id: seededMessage.id });

    expect(message).toMatchObject({ status: 'SENT', attempts: 1, errorCode: null, deliveredAt: null });
  });

  test('the provider was never called and no workflow was started', async () => {
    const workflows = await stack.env.client.workflow.count();

    expect(stack.sandbox.messages()).toEqual([]);
    expect(workflows.count).toBe(0);
  });
});

describe('well-formed values the database cannot store', () => {
  const hostile: [string, Record<string, unknown>][] = [
    ['a NUL character in the text', { body: 'hi\u0000there' }],
    ['a lone UTF-16 surrogate in the text', { body: 'hi \ud800' }],
    ['a NUL character in a media URL', { body: 'hi', media_urls: ['https://example.com/a\u0000b.png'] }],
    ['a send_at in year 0', { body: 'hi', send_at: '0000-01-01T00:00:00Z' }],
  ];

  test.each(hostile)('an SMS with %s is a 4xx, not a 500, and stores nothing', async (_what, fields) => {
    const before = await rowCounts();

    const response = await call('post', '/sms/send', { json: { business_id: tenant.business.id, to: '+14155550142', ...fields } });

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(contractShapeProblem(response)).toBeUndefined();
    expect(await rowCounts()).toEqual(before);
  });
});
