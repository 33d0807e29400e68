import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context } from 'koa';
import { Forbidden, Unauthorized } from './errors';

export type Principal = { kind: 'admin' } | { kind: 'business'; businessId: number };

/** Finds who is calling. Business keys and sessions are resolved by the resolvers passed in. */
export interface Authenticator {
  authenticate(ctx: Context): Promise<Principal>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function adminKeyAuthenticator(adminApiKey: string): Authenticator {
  const expected = digest(adminApiKey);
  return {
    async authenticate(ctx) {
      const key = ctx.get('X-API-KEY');
      if (!key) throw new Unauthorized('Missing X-API-KEY header');
      if (!timingSafeEqual(digest(key), expected)) throw new Unauthorized('Invalid API key');
      return { kind: 'admin' };
    },
  };
}

/** The tenant guard: a business key may name only its own business, anywhere in a request. */
export function assertBusinessAccess(principal: Principal, businessId: number): void {
  if (principal.kind === 'business' && principal.businessId !== businessId) {
    throw new Forbidden('This key may not act on that business');
  }
}

/** The business a request acts on: the one named, or the key's own when none is named. */
export function scopedBusinessId(principal: Principal, named?: number): number | undefined {
  if (named !== undefined) {
    assertBusinessAccess(principal, named);
    return named;
  }
  return principal.kind === 'business' ? principal.businessId : undefined;
}
