import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, Business, Session, hashSessionToken } from '../db/entities';
import type { Orm } from '../db/orm';
import { Forbidden, NotFound, Unauthorized } from './errors';

export const SESSION_COOKIE = 'omega_session';

export type Principal =
  | { kind: 'admin' }
  | { kind: 'business'; businessId: number; apiKeyId?: number; sessionId?: number; staffId?: number | null };

/** Finds who is calling, from an X-API-KEY, the session cookie, or a bearer token. */
export interface Authenticator {
  authenticate(ctx: Context): Promise<Principal>;
}

/** How stale last_used_at may get before a request writes it again. */
const LAST_USED_RESOLUTION_MS = 60_000;

const digest = (value: string) => createHash('sha256').update(value).digest();

export function sessionTokenOf(ctx: Context): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
  return bearer ?? ctx.cookies.get(SESSION_COOKIE) ?? undefined;
}

export function credentialAuthenticator(adminApiKey: string, orm: Orm): Authenticator {
  const adminDigest = digest(adminApiKey);

  async function byApiKey(em: EntityManager, presented: string): Promise<Principal> {
    if (timingSafeEqual(digest(presented), adminDigest)) return { kind: 'admin' };
    const prefix = ApiKey.prefixOf(presented);
    const key = prefix ? await em.findOne(ApiKey, { prefix }) : null;
    if (!key || !key.matches(presented)) throw new Unauthorized('Invalid API key');
    if (!key.isUsable()) throw new Unauthorized(key.state === 'REVOKED' ? 'This API key was revoked' : 'This API key is not active yet');
    await touch(em, key);
    return { kind: 'business', businessId: key.businessId, apiKeyId: key.id };
  }

  async function bySession(em: EntityManager, token: string): Promise<Principal> {
    const session = await em.findOne(Session, { tokenHash: hashSessionToken(token) });
    if (!session || !session.isLive()) throw new Unauthorized('Session expired or unknown');
    await touch(em, session);
    return { kind: 'business', businessId: session.businessId, sessionId: session.id, staffId: session.staffId ?? null };
  }

  return {
    async authenticate(ctx) {
      const em = orm.em.fork() as EntityManager;
      const key = ctx.get('X-API-KEY');
      if (key) return byApiKey(em, key);
      const token = sessionTokenOf(ctx);
      if (token) return bySession(em, token);
      throw new Unauthorized('Missing credentials: send X-API-KEY, the omega_session cookie or a bearer token');
    },
  };
}

async function touch(em: EntityManager, used: { lastUsedAt?: Date | null }): Promise<void> {
  const now = new Date();
  if (used.lastUsedAt && now.getTime() - used.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  used.lastUsedAt = now;
  await em.flush();
}

/** The tenant guard: a business credential may name only its own business, anywhere in a request. */
export function assertBusinessAccess(principal: Principal, businessId: number): void {
  if (principal.kind === 'business' && principal.businessId !== businessId) {
    throw new Forbidden('These credentials may not act on that business');
  }
}

/** Whether the caller may see a row of that business; another business's ids are answered as unknown (404). */
export function canSee(principal: Principal, businessId: number): boolean {
  return principal.kind === 'admin' || principal.businessId === businessId;
}

/** The business a request acts on: the one named, or the caller's own when none is named. */
export function scopedBusinessId(principal: Principal, named?: number): number | undefined {
  if (named !== undefined) {
    assertBusinessAccess(principal, named);
    return named;
  }
  return principal.kind === 'business' ? principal.businessId : undefined;
}

/** The business, which must exist, that the caller may act on. */
export async function accessibleBusiness(em: EntityManager, principal: Principal, businessId: number): Promise<Business> {
  assertBusinessAccess(principal, businessId);
  const business = await em.findOne(Business, { id: businessId });
  if (!business) throw new NotFound(`business ${businessId} not found`);
  return business;
}
