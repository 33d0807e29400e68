import type { Context } from 'koa';
import { PayloadTooLarge, UnsupportedMediaType, ValidationFailed } from '../errors';

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

/** The parsed body of a request in the kind the route accepts; an empty body is undefined. */
export async function parseBody(ctx: Context, kind: BodyKind, limitBytes: number): Promise<{ raw: Buffer; value: unknown }> {
  const raw = await readRawBody(ctx, limitBytes);
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
  try {
    return { raw, value: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    throw new ValidationFailed([{ loc: ['body'], msg: `JSON decode error: ${(error as Error).message}`, type: 'json_invalid' }]);
  }
}
