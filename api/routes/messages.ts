import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Conversation } from '../../db/entities';
import { HIGHLIGHT, searchConversationMessages } from '../../db/queries/conversations';
import { findRequestMessages } from '../../db/sends';
import { canSee, scopedBusinessId } from '../auth';
import type { AppDeps } from '../deps';
import { NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, requestId, textId } from '../schemas/common';
import { searchQuery } from '../schemas/conversation';
import { messageJson, messageSchema } from '../schemas/message';
import { pageOf, paginated } from '../schemas/pagination';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A snippet safe to show as HTML: the message's text escaped, its matches in <mark>. */
export function highlightedSnippet(snippet: string): string {
  return snippet
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
    .replaceAll(HIGHLIGHT.start, '<mark>')
    .replaceAll(HIGHLIGHT.stop, '</mark>');
}

const searchHitSchema = messageSchema
  .extend({
    rank: z.number().meta({ description: 'Full-text relevance; 0 for a match of the from/to address only' }),
    snippet: z.string().meta({ description: 'HTML: the message text escaped, with matched words in <mark>' }),
  })
  .meta({ id: 'MessageSearchHit' });

export function messageRoutes({ orm }: AppDeps) {
  return [
    route({
      method: 'get', path: '/messages/search', tag: 'messages', summary: 'Search messages within a specific conversation', access: 'authenticated',
      description:
        'Full-text search (English stemming; `"quoted phrases"`, `or` and `-excluded` words as in web search) over the ' +
        'text and subject of one conversation\'s messages, plus a substring match on the from/to address. Best match first, ' +
        'then newest. A search is cut off after 3 s (503).',
      query: searchQuery,
      responses: { 200: { description: 'One page of matches', schema: paginated(searchHitSchema, 'MessageSearchPage') }, ...errorResponses },
      handler: async (ctx, { query, principal }) => {
        const em = orm.em.fork() as EntityManager;
        const conversation = await em.findOne(Conversation, { id: query.conversation_id });
        if (!conversation || !canSee(principal!, conversation.businessId)) throw new NotFound(`conversation ${query.conversation_id} not found`);
        const { hits, total } = await searchConversationMessages(em, conversation.id, query.q, { page: query.page, pageSize: query.page_size });
        ctx.body = pageOf(
          hits.map((hit) => ({ ...messageJson(hit.message), rank: hit.rank, snippet: highlightedSnippet(hit.snippet) })),
          total,
          query.page,
          query.page_size,
        );
      },
    }),
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
