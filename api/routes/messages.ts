import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Conversation, Message, Staff } from '../../db/entities';
import type { ProcessedMessage } from '../../db/inbound';
import { normalizePhone } from '../../db/phone';
import { HIGHLIGHT, searchConversationMessages } from '../../db/queries/conversations';
import { matchRetryable, type RetryFilter } from '../../db/retries';
import { cancelScheduledMessage, findRequestMessages } from '../../db/sends';
import {
  businessOfRetryWorkflow,
  retryProgressQuery,
  retryWorkflowId,
  SEARCH_ATTRIBUTES,
  sendCanceledSignal,
  sendMessageWorkflowId,
  type RetryFailedInput,
  type RetryProgress,
} from '../../workflows/definitions';
import { accessibleBusiness, canSee, scopedBusinessId } from '../auth';
import type { AppDeps } from '../deps';
import { Conflict, NotFound } from '../errors';
import { startProcessMessage } from '../process-workflows';
import { route } from '../route';
import { bodyId, errorResponses, httpErrorSchema, requestId, textId, timestamp } from '../schemas/common';
import { storableText } from '../schemas/conversation';
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

const processBody = z
  .object({
    business_id: bodyId,
    channel: z.enum(['sms', 'email', 'voice']),
    direction: z.enum(['inbound', 'outbound']),
    from: z.string().min(1).max(320).meta({ description: 'E.164 phone (sms, voice; normalised) or email address' }),
    to: z.string().min(1).max(320),
    body: storableText(10_000).nullable().optional(),
    subject: storableText(998).nullable().optional(),
    html: storableText(200_000).nullable().optional(),
    media_urls: z.array(z.url({ protocol: /^https?$/ }).max(2048)).max(10).default([]),
    provider_message_id: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional().meta({
      description: 'The provider\'s id: a repeat with the same id is the same message. Without it each call records a new message.',
    }),
    staff_id: bodyId.nullable().optional(),
    received_at: timestamp.optional(),
  })
  .strict()
  .transform((body, ctx) => {
    const address = (value: string, field: 'from' | 'to'): string => {
      if (body.channel === 'email') {
        if (z.email().safeParse(value).success) return value.toLowerCase();
        ctx.addIssue({ code: 'custom', path: [field], message: 'not an email address' });
        return value;
      }
      const phone = normalizePhone(value);
      if (!phone) ctx.addIssue({ code: 'custom', path: [field], message: 'not a valid phone number (E.164, e.g. +15551234567)' });
      return phone ?? value;
    };
    return { ...body, from: address(body.from, 'from'), to: address(body.to, 'to') };
  });

const processResponse = z
  .object({
    workflow_id: z.string(),
    created: z.boolean().meta({ description: 'false when the provider_message_id was processed before' }),
    conversation_id: z.number().int(),
    client_id: z.number().int(),
    reply_message_id: z.number().int().nullable().meta({ description: 'The answer queued to a STOP, START or HELP' }),
    message: messageSchema,
  })
  .meta({ id: 'ProcessedMessage' });

const retryBody = z
  .object({
    business_id: bodyId,
    message_ids: z.array(bodyId).min(1).max(10_000).optional(),
    channel: z.enum(['sms', 'email']).optional(),
    failed_after: timestamp.optional(),
    limit: z.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

const retryProgressSchema = z
  .object({
    workflow_id: z.string(),
    status: z.string().meta({ description: 'The workflow\'s: RUNNING, COMPLETED, …' }),
    matched: z.number().int(),
    retried: z.number().int().meta({ description: 'New provider attempts started' }),
    succeeded: z.number().int().meta({ description: 'Attempts the provider took' }),
    failed: z.number().int().meta({ description: 'Attempts that failed again or could not go out (opted out, canceled)' }),
    done: z.boolean(),
  })
  .meta({ id: 'RetryProgress' });

export function messageRoutes({ orm, temporal, config }: AppDeps) {
  return [
    route({
      method: 'post', path: '/messages/retry', tag: 'messages', summary: 'Retry Processing of Failed Messages', access: 'authenticated',
      description:
        'Starts workflow `retryFailedMessages` over the business\'s outbound SMS and email that ended FAILED or UNDELIVERED ' +
        '(optionally only `message_ids`, one `channel`, or those that failed after `failed_after`), oldest first, at most ' +
        '`limit` (default 1,000, at most 10,000). Each is a real new provider attempt of the same message: it goes back to ' +
        'PENDING, its earlier attempt stays in its history as a `retry` event, `attempts` counts on. At most 10 attempts ' +
        'wait for the provider at once. Follow it with `GET /messages/retry/{workflow_id}`.',
      body: retryBody,
      responses: {
        202: { description: 'Started', schema: z.object({ workflow_id: z.string(), matched: z.number().int() }) },
        ...errorResponses,
      },
      handler: async (ctx, { body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, body.business_id);
        if (body.message_ids) {
          const known = new Set((await em.find(Message, { id: { $in: body.message_ids }, businessId: body.business_id }, { fields: ['id'] })).map((m) => m.id));
          const unknown = body.message_ids.find((id) => !known.has(id));
          if (unknown !== undefined) throw new NotFound(`message ${unknown} not found`);
        }
        const filter: RetryFilter = {
          businessId: body.business_id,
          messageIds: body.message_ids,
          channel: body.channel,
          failedAfter: body.failed_after?.toISOString(),
        };
        const { matched, upToId } = await matchRetryable(em, filter, body.limit);
        const workflowId = retryWorkflowId(body.business_id, randomUUID());
        await temporal.workflow.start('retryFailedMessages', {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [{ filter: { ...filter, upToId: upToId ?? 0 }, limit: body.limit, matched } satisfies RetryFailedInput],
          typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.businessId, value: body.business_id }],
        });
        ctx.status = 202;
        ctx.body = { workflow_id: workflowId, matched };
      },
    }),
    route({
      method: 'get', path: '/messages/retry/{workflow_id}', tag: 'messages', summary: 'Retry Processing of Failed Messages', access: 'authenticated',
      description: 'The progress of a retry: matched, attempts started, taken by the provider, failed again; `done` once every attempt has settled.',
      params: z.object({ workflow_id: z.string().min(1).max(100) }),
      responses: { 200: { description: 'Progress', schema: retryProgressSchema }, ...errorResponses },
      handler: async (ctx, { params, principal }) => {
        const businessId = businessOfRetryWorkflow(params.workflow_id);
        const notFound = new NotFound(`retry ${params.workflow_id} not found`);
        if (businessId === null || !canSee(principal!, businessId)) throw notFound;
        const handle = temporal.workflow.getHandle(params.workflow_id);
        const description = await handle.describe().catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) throw notFound;
          throw error;
        });
        if (description.type !== 'retryFailedMessages') throw notFound;
        const progress: RetryProgress = description.status.name === 'COMPLETED' ? await handle.result() : await handle.query(retryProgressQuery);
        ctx.body = { workflow_id: params.workflow_id, status: description.status.name, ...progress };
      },
    }),
    route({
      method: 'post', path: '/messages/process', tag: 'messages', summary: 'Process and record messages from any supported channel', access: 'authenticated',
      description:
        'Records a message of any channel, inbound or outbound (sent outside omega), through workflow `processMessage` keyed ' +
        'by the provider message id, so a repeat is a no-op answered 200 with the first result. Finds or creates the client by ' +
        'address and their open conversation, keeps the message, counts an inbound one unread and re-opens the conversation, ' +
        'and for an inbound SMS honours STOP, START and HELP (and answers them).',
      body: processBody,
      responses: {
        201: { description: 'Recorded', schema: processResponse },
        200: { description: 'Recorded before (same provider_message_id)', schema: processResponse },
        409: { description: 'The provider_message_id belongs to another business\'s message', schema: httpErrorSchema },
        ...errorResponses,
      },
      handler: async (ctx, { body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, body.business_id);
        if (body.staff_id && !(await em.findOne(Staff, { id: body.staff_id, businessId: body.business_id }))) throw new NotFound(`staff ${body.staff_id} not found`);
        const message: ProcessedMessage = {
          channel: body.channel,
          direction: body.direction,
          providerMessageId: body.provider_message_id ?? `omega-${randomUUID()}`,
          from: body.from,
          to: body.to,
          body: body.body,
          subject: body.subject,
          html: body.html,
          mediaUrls: body.media_urls,
          at: (body.received_at ?? new Date()).toISOString(),
          businessId: body.business_id,
          staffId: body.staff_id,
        };
        const { handle, replay } = await startProcessMessage(temporal, config.temporal.taskQueue, message);
        const { stored, replyMessageId } = await handle.result();
        if (!stored || stored.businessId !== body.business_id) throw new Conflict('provider_message_id is already used by another message');
        const created = stored.created && !replay;
        ctx.status = created ? 201 : 200;
        ctx.body = {
          workflow_id: handle.workflowId,
          created,
          conversation_id: stored.conversationId,
          client_id: stored.clientId,
          reply_message_id: replyMessageId,
          message: messageJson(await em.findOneOrFail(Message, { id: stored.messageId })),
        };
      },
    }),
    route({
      method: 'post', path: '/messages/{message_id}/cancel', tag: 'messages', summary: 'Cancel a scheduled message', access: 'authenticated',
      description:
        'Cancels a message waiting for its `send_at` (status SCHEDULED): it becomes CANCELED with error_code CANCELED and its ' +
        '`sendMessage` workflow ends without a provider call. Once `send_at` has come the message is due and can no longer be ' +
        'canceled (409), nor can one already sent or ended; canceling a CANCELED message again is a 200 no-op.',
      params: z.object({ message_id: textId }),
      responses: {
        200: { description: 'Canceled (or canceled before)', schema: z.object({ message: messageSchema, canceled: z.boolean() }) },
        409: { description: 'Not waiting for send_at any more', schema: httpErrorSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, principal }) => {
        const em = orm.em.fork() as EntityManager;
        const found = await em.findOne(Message, { id: params.message_id });
        if (!found || !canSee(principal!, found.businessId)) throw new NotFound(`message ${params.message_id} not found`);
        const canceled = await cancelScheduledMessage(em, found.id);
        const message = await em.findOneOrFail(Message, { id: found.id }, { refresh: true });
        if (!canceled && !(message.status === 'CANCELED' && message.errorCode === 'CANCELED')) {
          throw new Conflict(`message ${message.id} is ${message.status} and can no longer be canceled`);
        }
        if (canceled) {
          await temporal.workflow
            .getHandle(sendMessageWorkflowId(message.id))
            .signal(sendCanceledSignal)
            .catch((error: unknown) => {
              // No waiting workflow (it never started, or ended): the stored status is what counts.
              if (!(error instanceof WorkflowNotFoundError)) throw error;
            });
        }
        ctx.body = { message: messageJson(message), canceled };
      },
    }),
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
