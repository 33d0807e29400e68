import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../../db/entities';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, textId } from '../schemas/common';

const apiKeySchema = z
  .object({
    id: z.number().int(),
    business_id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    state: z.enum(['PENDING', 'ACTIVE', 'REVOKED']),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const apiKeyJson = (k: ApiKey) => ({
  id: k.id,
  business_id: k.businessId,
  name: k.name,
  prefix: k.prefix,
  state: k.state,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

const businessPath = z.object({ business_id: textId });

export function apiKeyRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/api-keys', tag: 'business', summary: 'List API keys', access: 'authenticated',
      description: 'The business\'s keys, without their secrets.',
      params: businessPath,
      responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(apiKeySchema) }) }, ...errorResponses },
      handler: async (ctx, { params, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const keys = await em.find(ApiKey, { businessId: params.business_id }, { orderBy: { id: 'asc' } });
        ctx.body = { items: keys.map(apiKeyJson) };
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/api-keys', tag: 'business', summary: 'Issue an API key', access: 'authenticated',
      description: 'A new key for the business. `api_key` is shown only in this response; it is stored hashed.',
      params: businessPath,
      body: z.object({ name: z.string().trim().min(1).max(100).optional() }).meta({ id: 'ApiKeyRequest' }).optional(),
      responses: {
        201: { description: 'Issued', schema: apiKeySchema.extend({ api_key: z.string() }).meta({ id: 'IssuedApiKey' }) },
        ...errorResponses,
      },
      handler: async (ctx, { params, body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const { key, plaintext } = ApiKey.issue(params.business_id, { name: body?.name });
        await em.persistAndFlush(key);
        ctx.status = 201;
        ctx.body = { ...apiKeyJson(key), api_key: plaintext };
      },
    }),
    route({
      method: 'delete', path: '/businesses/{business_id}/api-keys/{key_id}', tag: 'business', summary: 'Revoke an API key', access: 'authenticated',
      description: 'Revokes the key at once; requests with it then answer 401. Revoking a revoked key changes nothing.',
      params: businessPath.extend({ key_id: textId }),
      responses: { 200: { description: 'Revoked', schema: apiKeySchema }, ...errorResponses },
      handler: async (ctx, { params, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const key = await em.findOne(ApiKey, { id: params.key_id, businessId: params.business_id });
        if (!key) throw new NotFound(`API key ${params.key_id} not found`);
        key.revoke();
        await em.flush();
        ctx.body = apiKeyJson(key);
      },
    }),
  ];
}
