import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { searchStaff, staffProfile } from '../../db/queries/staff';
import { accessibleBusiness, assertBusinessAccess } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, textId } from '../schemas/common';
import { pageOf } from '../schemas/pagination';
import { staffJson, staffListQuery, staffPageSchema, staffProfileJson, staffProfileSchema } from '../schemas/staff';

export function staffRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/staffs', tag: 'business-staffs', summary: 'Get paginated list of staff members for a business', access: 'authenticated',
      description:
        'The business\'s staff by last name, first name and id. `q` matches the name, email or phone digits case-insensitively ' +
        '(`%` and `_` are plain characters); filters combine with AND.',
      params: z.object({ business_id: textId }),
      query: staffListQuery,
      responses: {
        200: { description: 'One page of staff members', schema: staffPageSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, query, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, params.business_id);
        const { staff, total } = await searchStaff(
          em,
          params.business_id,
          { q: query.q, locationId: query.location_id, isActive: query.is_active },
          { page: query.page, pageSize: query.page_size },
        );
        ctx.body = pageOf(staff.map(staffJson), total, query.page, query.page_size);
      },
    }),
    route({
      method: 'get', path: '/businesses/{business_id}/staffs/{staff_id}', tag: 'business-staffs', summary: 'Get detailed profile of a specific staff member', access: 'authenticated',
      description:
        'The staff member with their locations and the open (not RESOLVED or ARCHIVED) conversations assigned to them, newest ' +
        'activity first, at most 100, and how many there are in all. A staff member of another business is a 404.',
      params: z.object({ business_id: textId, staff_id: textId }),
      responses: {
        200: { description: 'The staff member\'s profile', schema: staffProfileSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, principal }) => {
        assertBusinessAccess(principal!, params.business_id);
        const profile = await staffProfile(orm.em.fork() as EntityManager, params.business_id, params.staff_id);
        if (!profile) throw new NotFound(`staff ${params.staff_id} not found`);
        ctx.body = staffProfileJson(profile);
      },
    }),
  ];
}
