import type { Context, Next } from 'koa';
import { HttpError, ValidationFailed } from '../errors';

/** First in the chain: every failure leaves as the contract's JSON, and no internals leak. */
export async function errorMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.body === undefined && ctx.status >= 400) {
      // The router's own answers (no route, a method the path lacks) carry no body. A method no
      // route knows (PURGE) is the caller's mistake too: 405, never the router's 501.
      // Koa's 404 is only a default until set: set it, or giving a body would make it a 200.
      ctx.status = ctx.status === 501 ? 405 : ctx.status;
      ctx.body = { detail: ctx.message };
    }
  } catch (error) {
    const known = asHttpError(error);
    if (known) {
      ctx.status = known.status;
      ctx.body = known instanceof ValidationFailed ? { detail: known.issues } : { detail: known.detail };
      ctx.set(known.headers);
      return;
    }
    if (hasCode(error, STATEMENT_TIMEOUT)) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { detail: 'The query took too long and was stopped; narrow the search or filters' };
      return;
    }
    if (isUnavailable(error)) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = { detail: 'A backing service (database or Temporal) is unavailable; try again shortly' };
      ctx.state.log?.warn({ err: error }, 'backing service unavailable');
      return;
    }
    ctx.status = 500;
    ctx.body = { detail: 'Internal Server Error', request_id: ctx.state.requestId };
    ctx.state.log?.error({ err: error }, 'unhandled error');
  }
}

/** Koa's own errors (a thrown 405, a bad header) carry their status; keep the 4xx ones. */
function asHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const e = error as { status?: number; expose?: boolean; message?: string; headers?: Record<string, string> };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return new HttpError(e.status, e.message ?? 'Bad Request', e.headers ?? {});
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03', '53300']);

/** PostgreSQL's query_canceled: a search's statement timeout ran out. */
const STATEMENT_TIMEOUT = '57014';

function hasCode(error: unknown, code: string): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === code) return true;
  }
  return false;
}

function isUnavailable(error: unknown): boolean {
  for (let e = error as { code?: unknown; name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
    // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4) from the Temporal client.
    if (e.name === 'ServiceError' || (typeof e.code === 'number' && (e.code === 14 || e.code === 4))) return true;
    if (e.name === 'ConnectionException') return true;
  }
  return false;
}
