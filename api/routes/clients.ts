import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { clientProfile, searchClients } from '../../db/queries/clients';
import { accessibleBusiness, assertBusinessAccess } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound } from '../errors';
import { route } from '../route';
import { clientJson, clientListQuery, clientPageSchema, clientProfileJson, clientProfileSchema } from '../schemas/client';
import { errorResponses, textId } from '../schemas/common';
import { pageOf } from '../schemas/pagination';

export function clientRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/clients', tag: 'business-clients', summary: 'Get paginated list of clients for a business', access: 'authenticated',
      description:
        'The business\'s clients by last name, first name and id. `q` matches the name, email or phone digits case-insensitively ' +
        '(`%` and `_` are plain characters); filters combine with AND. A `location_id` of another business matches no client.',
      params: z.object({ business_id: textId }),
      query: clientListQuery,
      responses: {
        200: { description: 'One page of clients', schema: clientPageSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, query, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const { clients, total } = await searchClients(
          em,
          params.business_id,
          { q: query.q, locationId: query.location_id, optedOut: query.opted_out },
          { page: query.page, pageSize: query.page_size },
        );
        ctx.body = pageOf(clients.map(clientJson), total, query.page, query.page_size);
      },
    }),
    route({
      method: 'get', path: '/businesses/{business_id}/clients/{client_id}', tag: 'business-clients', summary: 'Get detailed client profile and conversation information', access: 'authenticated',
      description:
        'The client with their opt-out state per channel, their 100 most recently active conversations and totals over all of them. ' +
        'A client of another business is a 404.',
      params: z.object({ business_id: textId, client_id: textId }),
      responses: {
        200: { description: 'The client\'s profile', schema: clientProfileSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, principal }) => {
        assertBusinessAccess(principal!, params.business_id);
        const profile = await clientProfile(orm.em.fork() as EntityManager, params.business_id, params.client_id);
        if (!profile) throw new NotFound(`client ${params.client_id} not found`);
        ctx.body = clientProfileJson(profile);
      },
    }),
  ];
}
