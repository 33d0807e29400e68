import type { Context } from 'koa';
import { PayloadTooLarge, UnsupportedMediaType, ValidationFailed, type ValidationIssue } from '../errors';

export type BodyKind = 'json' | 'form';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Reads the raw body up to a limit; the stream is abandoned as soon as the limit is passed. */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > limitBytes) throw new PayloadTooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new PayloadTooLarge(limitBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The parsed body of a request in the kind the route accepts; an empty body is undefined.
 * `checkRaw` sees the exact bytes before anything reads them (a signature over the raw body).
 */
export async function parseBody(
  ctx: Context,
  kind: BodyKind,
  limitBytes: number,
  checkRaw?: (raw: Buffer) => void,
): Promise<{ raw: Buffer; value: unknown }> {
  const raw = await readRawBody(ctx, limitBytes);
  checkRaw?.(raw);
  if (raw.length === 0) return { raw, value: undefined };
  if (kind === 'form') {
    if (!ctx.is('application/x-www-form-urlencoded')) throw new UnsupportedMediaType('application/x-www-form-urlencoded');
    const params = new URLSearchParams(raw.toString('utf8'));
    const value: Record<string, string | string[]> = {};
    for (const key of new Set(params.keys())) {
      const all = params.getAll(key);
      value[key] = all.length === 1 ? all[0] : all;
    }
    return { raw, value };
  }
  if (ctx.get('Content-Type') && !ctx.is('application/json', '+json')) throw new UnsupportedMediaType('application/json');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ValidationFailed([{ loc: ['body'], msg: `JSON decode error: ${(error as Error).message}`, type: 'json_invalid' }]);
  }
  const unstorable = unstorableStrings(value, ['body']);
  if (unstorable.length > 0) throw new ValidationFailed(unstorable);
  return { raw, value };
}

/** NUL and lone UTF-16 surrogates: valid JSON escapes (and URL escapes) that PostgreSQL's text and jsonb refuse. */
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorableIssue = (loc: (string | number)[]): ValidationIssue => ({
  loc,
  msg: 'must not contain NUL characters or unpaired surrogates',
  type: 'string_unstorable',
});

function unstorableStrings(value: unknown, loc: (string | number)[]): ValidationIssue[] {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? [unstorableIssue(loc)] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unstorableStrings(item, [...loc, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(UNSTORABLE.test(key) ? [unstorableIssue([...loc, key])] : []),
      ...unstorableStrings(item, [...loc, key]),
    ]);
  }
  return [];
}
