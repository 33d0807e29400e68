import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Location } from '../../db/entities';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { route } from '../route';
import { errorResponses, textId } from '../schemas/common';
import { locationJson, locationPageSchema } from '../schemas/location';
import { pageOf, pageQuery } from '../schemas/pagination';

export function locationRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/locations', tag: 'businesses', summary: 'Get list of business locations', access: 'authenticated',
      description: 'The business\'s locations, paginated, in the order they were created.',
      params: z.object({ business_id: textId }),
      query: z.object(pageQuery),
      responses: {
        200: { description: 'One page of locations', schema: locationPageSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, query, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const [locations, total] = await em.findAndCount(
          Location,
          { businessId: params.business_id },
          { orderBy: { id: 'asc' }, limit: query.page_size, offset: (query.page - 1) * query.page_size },
        );
        ctx.body = pageOf(locations.map(locationJson), total, query.page, query.page_size);
      },
    }),
  ];
}
