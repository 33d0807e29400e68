import { z } from 'zod';
import type { Context } from 'koa';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MAX_SESSION_TTL_SECONDS, Session, Staff, hashSessionToken } from '../../db/entities';
import { SESSION_COOKIE, accessibleBusiness, sessionTokenOf } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound, Unauthorized } from '../errors';
import { route } from '../route';
import { bodyId, errorResponses } from '../schemas/common';

const DEFAULT_TTL_SECONDS = 24 * 60 * 60;

const tokenRequest = z
  .object({
    business_id: bodyId,
    staff_id: bodyId.optional(),
    ttl_seconds: z.number().int().min(60).max(MAX_SESSION_TTL_SECONDS).optional(),
  })
  .meta({ id: 'TokenRequest' });

const tokenResponse = z
  .object({ access_token: z.string(), token_type: z.literal('bearer'), expires_at: z.string(), business_id: z.number(), staff_id: z.number().nullable() })
  .meta({ id: 'Token' });

export function sessionRoutes({ orm, config }: AppDeps) {
  const secureCookies = config.publicBaseUrl.startsWith('https:');
  const cookieOptions = (ctx: Context) => ({ httpOnly: true, sameSite: 'lax' as const, path: '/', secure: secureCookies || ctx.secure, overwrite: true });

  return [
    route({
      method: 'post', path: '/auth/token', tag: 'authentication', summary: 'Generate Auth Token', access: 'authenticated',
      description:
        'Opens a session for a business (and optionally one of its staff) with a valid X-API-KEY or session. The token ' +
        'is returned once and set as the `omega_session` cookie (HttpOnly, SameSite=Lax, Secure under https); it is also ' +
        'accepted as `Authorization: Bearer`. Lifetime `ttl_seconds`, 60 s to 7 days (default 1 day).',
      body: tokenRequest,
      responses: { 201: { description: 'Session opened', schema: tokenResponse }, ...errorResponses },
      handler: async (ctx, { body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, body.business_id);
        if (body.staff_id !== undefined && !(await em.findOne(Staff, { id: body.staff_id, businessId: body.business_id, isActive: true }))) {
          throw new NotFound(`active staff ${body.staff_id} not found`);
        }
        const ttl = body.ttl_seconds ?? DEFAULT_TTL_SECONDS;
        const { session, token } = Session.open(body.business_id, body.staff_id ?? null, ttl);
        await em.persistAndFlush(session);
        ctx.cookies.set(SESSION_COOKIE, token, { ...cookieOptions(ctx), maxAge: ttl * 1000 });
        ctx.status = 201;
        ctx.body = {
          access_token: token,
          token_type: 'bearer',
          expires_at: session.expiresAt.toISOString(),
          business_id: session.businessId,
          staff_id: session.staffId ?? null,
        };
      },
    }),
    route({
      method: 'post', path: '/session/expire', tag: 'session', summary: 'Expire Session', access: 'public',
      description: 'Revokes the session whose token the request carries (cookie or bearer) at once, and clears the cookie.',
      responses: {
        200: { description: 'Revoked', schema: z.object({ detail: z.string() }) },
        401: errorResponses[401],
      },
      handler: async (ctx) => {
        const token = sessionTokenOf(ctx);
        if (!token) throw new Unauthorized('No session token in the request');
        const em = orm.em.fork() as EntityManager;
        const session = await em.findOne(Session, { tokenHash: hashSessionToken(token) });
        if (!session || !session.isLive()) throw new Unauthorized('Session expired or unknown');
        session.revoke();
        await em.flush();
        ctx.cookies.set(SESSION_COOKIE, '', { ...cookieOptions(ctx), maxAge: 0, expires: new Date(0) });
        ctx.body = { detail: 'Session expired' };
      },
    }),
  ];
}
