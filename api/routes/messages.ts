import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { findRequestMessages } from '../../db/sends';
import { scopedBusinessId } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, requestId, textId } from '../schemas/common';
import { messageJson, messageSchema } from '../schemas/message';

export function messageRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/messages/request/{request_id}', tag: 'messages', summary: 'Get messages by request ID', access: 'authenticated',
      description: 'Every message created under that request id, scoped to the caller\'s business (the admin key sees all, or one business with `business_id`).',
      params: z.object({ request_id: requestId }),
      query: z.object({ business_id: textId.optional() }),
      responses: {
        200: { description: 'The request\'s messages', schema: z.object({ request_id: z.string(), messages: z.array(messageSchema) }) },
        ...errorResponses,
      },
      handler: async (ctx, { params, query, principal }) => {
        const businessId = scopedBusinessId(principal!, query.business_id);
        const messages = await findRequestMessages(orm.em.fork() as EntityManager, businessId, params.request_id);
        if (messages.length === 0) throw new NotFound(`no messages for request ${params.request_id}`);
        ctx.body = { request_id: params.request_id, messages: messages.map(messageJson) };
      },
    }),
  ];
}
