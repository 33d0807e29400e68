import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { addNote, markMessagesRead } from '../../db/conversations';
import type { Actor } from '../../db/conversation-status';
import { Client, Conversation, Location, Staff } from '../../db/entities';
import {
  conversationFilterCounts,
  conversationHistory,
  conversationItem,
  conversationTimeline,
  listConversations,
} from '../../db/queries/conversations';
import { pgArray } from '../../db/sql';
import { assignUpdate, changeStatusUpdate } from '../../workflows/definitions';
import { assertBusinessAccess, accessibleBusiness, type Principal } from '../auth';
import { startConversationWorkflows, updateConversation } from '../conversation-workflows';
import type { AppDeps } from '../deps';
import { Conflict, NotFound, ValidationFailed } from '../errors';
import { route } from '../route';
import { errorResponses, httpErrorSchema, textId } from '../schemas/common';
import {
  assignBody,
  conversationJson,
  conversationListQuery,
  conversationPageSchema,
  conversationSchema,
  createConversationBody,
  filterCountsJson,
  filterCountsSchema,
  filtersQuery,
  historyEventJson,
  historyPageSchema,
  historyQuery,
  noteBody,
  readBody,
  statusBody,
  statusQuery,
  timelineQuery,
} from '../schemas/conversation';
import { messageJson, messageSchema } from '../schemas/message';
import { cursorPaginated, encodeCursor, pageOf } from '../schemas/pagination';

const businessPath = z.object({ business_id: textId });
const clientPath = z.object({ business_id: textId, client_id: textId });
const conversationPath = z.object({ business_id: textId, client_id: textId, conversation_id: textId });
const conflictResponse = { 409: { description: 'A move the status table does not allow, or an inactive staff member', schema: httpErrorSchema } };

/** The conversation named by the path, which must be that client's in that business. */
async function pathConversation(em: EntityManager, principal: Principal, path: z.output<typeof conversationPath>): Promise<Conversation> {
  assertBusinessAccess(principal, path.business_id);
  const conversation = await em.findOne(Conversation, { id: path.conversation_id, businessId: path.business_id, clientId: path.client_id });
  if (!conversation) throw new NotFound(`conversation ${path.conversation_id} of client ${path.client_id} not found`);
  return conversation;
}

/** A staff member of the business, or a 404 naming the field. */
async function businessStaff(em: EntityManager, businessId: number, staffId: number): Promise<Staff> {
  const staff = await em.findOne(Staff, { id: staffId, businessId });
  if (!staff) throw new NotFound(`staff ${staffId} not found`);
  return staff;
}

/**
 * Who is acting: the staff member of a staff session, else the staff_id the caller names (which
 * must be of the business either way), else the API caller.
 */
async function actorOf(em: EntityManager, principal: Principal, businessId: number, namedStaffId?: number | null): Promise<Actor> {
  const named = namedStaffId ? await businessStaff(em, businessId, namedStaffId) : undefined;
  if (principal.kind === 'business' && principal.staffId) return { type: 'staff', staffId: principal.staffId };
  return named ? { type: 'staff', staffId: named.id } : { type: 'api' };
}

/** Every id must be a message of the conversation: another's, or another business's, is a 404. */
async function assertMessagesOf(em: EntityManager, conversation: Conversation, messageIds: number[]): Promise<void> {
  const found = await em.execute('select id from messages where conversation_id = ? and id = any(?::bigint[])', [conversation.id, pgArray(messageIds)]);
  const known = new Set(found.map((row) => Number(row.id)));
  const missing = messageIds.find((id) => !known.has(id));
  if (missing !== undefined) throw new NotFound(`message ${missing} not found in conversation ${conversation.id}`);
}

export function conversationRoutes({ orm, temporal, config }: AppDeps) {
  const taskQueue = config.temporal.taskQueue;
  const fork = () => orm.em.fork() as EntityManager;
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/conversations', tag: 'businesses', summary: 'Get paginated list of client conversations for a business', access: 'authenticated',
      description:
        'Filters combine with AND. Pages come by `page` (with `total` and `pages`) or, for deep lists, by `cursor`: pass the ' +
        'previous page\'s `next_cursor` and the next page is found by index, as fast as the first. `total` is exact for the ' +
        'status, assignee, location, channel and unread filters (read from counts kept as conversations change); with `q`, ' +
        '`client_id` or `updated_after` it is counted up to 10,000 and reads 10,000 when more match (`pages` then stops at ' +
        '500 while later pages and cursors still work). `q` searches with a 3 s statement timeout (503 when exceeded: ' +
        'narrow the search).',
      params: businessPath,
      query: conversationListQuery,
      responses: { 200: { description: 'One page of conversations', schema: conversationPageSchema }, ...errorResponses },
      handler: async (ctx, { params, query, principal }) => {
        const em = fork();
        await accessibleBusiness(em, principal!, params.business_id);
        const { items, total, next } = await listConversations(
          em,
          params.business_id,
          {
            statuses: query.status,
            assignedStaffId: query.assigned_staff_id,
            unassigned: query.unassigned,
            locationId: query.location_id,
            channel: query.channel,
            unread: query.unread,
            clientId: query.client_id,
            q: query.q || undefined,
            updatedAfter: query.updated_after,
          },
          query.sort,
          { page: query.page, pageSize: query.page_size, after: query.cursor },
        );
        ctx.body = { ...pageOf(items.map(conversationJson), total, query.page, query.page_size), next_cursor: encodeCursor(next) };
      },
    }),
    route({
      method: 'get', path: '/businesses/{business_id}/conversations/filters', tag: 'businesses', summary: 'Get available conversation filters', access: 'authenticated',
      description:
        'Counts for every filter the inbox offers: conversations per status (all of them), and per assignee, unassigned, ' +
        '"mine" (a staff session\'s own), channel, location and unread, over the statuses asked (default: all but ARCHIVED).',
      params: businessPath,
      query: filtersQuery,
      responses: { 200: { description: 'Filters with counts', schema: filterCountsSchema }, ...errorResponses },
      handler: async (ctx, { params, query, principal }) => {
        const em = fork();
        await accessibleBusiness(em, principal!, params.business_id);
        const statuses = query.status?.length ? query.status : (['ACTIVE', 'PENDING', 'SNOOZED', 'RESOLVED'] as const).slice();
        const staffId = principal!.kind === 'business' ? (principal!.staffId ?? null) : null;
        ctx.body = filterCountsJson(await conversationFilterCounts(em, params.business_id, statuses, staffId));
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/clients/{client_id}/conversations', tag: 'businesses', summary: 'Create or retrieve client conversation', access: 'authenticated',
      description: 'The client\'s open (not archived) conversation: 200 when it existed, 201 when created now, with its lifecycle workflow started.',
      params: clientPath,
      body: createConversationBody,
      responses: {
        200: { description: 'The client\'s existing open conversation', schema: conversationSchema },
        201: { description: 'A new conversation', schema: conversationSchema },
        ...errorResponses,
      },
      handler: async (ctx, { params, body, principal }) => {
        const em = fork();
        assertBusinessAccess(principal!, params.business_id);
        const client = await em.findOne(Client, { id: params.client_id, businessId: params.business_id });
        if (!client) throw new NotFound(`client ${params.client_id} not found`);
        if (body?.location_id && !(await em.findOne(Location, { id: body.location_id, businessId: params.business_id }))) {
          throw new NotFound(`location ${body.location_id} not found`);
        }
        const created = await em.execute(
          `insert into conversations (business_id, client_id, location_id, channels)
           values (?, ?, coalesce(?::bigint, ?::bigint), ?::text[])
           on conflict (client_id) where status <> 'ARCHIVED' do nothing returning id`,
          [params.business_id, client.id, body?.location_id ?? null, client.locationId ?? null, pgArray(body?.channel ? [body.channel] : [])],
        );
        const [open] = await em.execute(`select id from conversations where client_id = ? and status <> 'ARCHIVED'`, [client.id]);
        if (created.length > 0) await startConversationWorkflows(temporal, taskQueue, params.business_id, [Number(open.id)]);
        ctx.status = created.length > 0 ? 201 : 200;
        ctx.body = conversationJson((await conversationItem(em, params.business_id, Number(open.id)))!);
      },
    }),
    route({
      method: 'get', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/messages', tag: 'businesses', summary: 'Get paginated conversation messages with filters', access: 'authenticated',
      description: 'The timeline, newest first, internal notes included unless `include_notes=false`. Pages by `page` or by `cursor` (`next_cursor`).',
      params: conversationPath,
      query: timelineQuery,
      responses: { 200: { description: 'One page of messages', schema: cursorPaginated(messageSchema, 'MessagePage') }, ...errorResponses },
      handler: async (ctx, { params, query, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        const { messages, total, next } = await conversationTimeline(
          em,
          conversation.id,
          {
            channel: query.channel,
            direction: query.direction,
            status: query.status,
            isRead: query.is_read,
            before: query.before,
            after: query.after,
            includeNotes: query.include_notes,
          },
          { page: query.page, pageSize: query.page_size, after: query.cursor },
        );
        ctx.body = { ...pageOf(messages.map(messageJson), total, query.page, query.page_size), next_cursor: encodeCursor(next) };
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/notes', tag: 'businesses', summary: 'Add internal note to a client conversation', access: 'authenticated',
      description: 'An internal note (`channel: note`, `direction: internal`): in the timeline and the history, never sent.',
      params: conversationPath,
      body: noteBody,
      responses: { 201: { description: 'The note', schema: messageSchema }, ...errorResponses },
      handler: async (ctx, { params, body, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        const actor = await actorOf(em, principal!, params.business_id, body.staff_id);
        ctx.status = 201;
        ctx.body = messageJson(await addNote(em, conversation, body.body, actor));
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/assign', tag: 'businesses', summary: 'Assign a client conversation to a staff member', access: 'authenticated',
      description: 'Assigns an active staff member of the business, or unassigns with `staff_id: null`. Kept in the history.',
      params: conversationPath,
      body: assignBody,
      responses: {
        200: {
          description: 'Assigned',
          schema: z.object({ conversation_id: z.number().int(), assigned_staff_id: z.number().int().nullable(), message: z.string() }),
        },
        ...errorResponses,
        ...conflictResponse,
      },
      handler: async (ctx, { params, body, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        if (body.staff_id !== null) {
          const staff = await businessStaff(em, params.business_id, body.staff_id);
          if (!staff.isActive) throw new Conflict(`staff ${staff.id} is inactive and cannot be assigned`);
        }
        const actor = await actorOf(em, principal!, params.business_id);
        const result = await updateConversation(temporal, taskQueue, conversation, assignUpdate, { staffId: body.staff_id, actor });
        ctx.body = {
          conversation_id: conversation.id,
          assigned_staff_id: result.assignedStaffId,
          message: !result.changed ? 'Conversation assignment unchanged' : result.assignedStaffId === null ? 'Conversation unassigned' : 'Conversation assigned',
        };
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/status', tag: 'businesses', summary: 'Update client conversation status', access: 'authenticated',
      description:
        'Moves the conversation by the status table (ACTIVE→PENDING|SNOOZED|RESOLVED; PENDING→ACTIVE|SNOOZED|RESOLVED; ' +
        'SNOOZED→ACTIVE|RESOLVED; RESOLVED→ACTIVE|ARCHIVED; ARCHIVED→ACTIVE); any other move is a 409 and the current ' +
        'status a 200 no-op. `status` comes in the query or the JSON body, in any case. SNOOZED needs `snooze_until` in the ' +
        'future, after which the conversation is ACTIVE again by itself. RESOLVED keeps `resolution_note` and the resolving ' +
        'staff member. Every change is kept in the history with its actor.',
      params: conversationPath,
      query: statusQuery,
      body: statusBody,
      responses: {
        200: {
          description: 'Applied, or already in that status',
          schema: z.object({ conversation_id: z.number().int(), status: z.string(), previous_status: z.string(), message: z.string() }),
        },
        ...errorResponses,
        ...conflictResponse,
      },
      handler: async (ctx, { params, query, body, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        const actor = await actorOf(em, principal!, params.business_id, body?.staff_id);
        const status = body?.status ?? query.status;
        if (!status) throw new ValidationFailed([{ loc: ['query', 'status'], msg: 'status is required, in the query or the body', type: 'missing' }]);
        if (body?.status && query.status && body.status !== query.status) {
          throw new ValidationFailed([{ loc: ['body', 'status'], msg: 'differs from the status in the query', type: 'value_error' }]);
        }
        if (status === 'SNOOZED' && !(body?.snooze_until && body.snooze_until > new Date())) {
          throw new ValidationFailed([{ loc: ['body', 'snooze_until'], msg: 'snoozing needs a snooze_until in the future', type: 'value_error' }]);
        }
        const result = await updateConversation(temporal, taskQueue, conversation, changeStatusUpdate, {
          status,
          actor,
          snoozeUntil: status === 'SNOOZED' ? body!.snooze_until!.toISOString() : null,
          resolutionNote: body?.resolution_note ?? null,
        });
        ctx.body = {
          conversation_id: conversation.id,
          status: result.status,
          previous_status: result.previousStatus,
          message: result.changed ? 'Conversation status updated' : 'Conversation status unchanged',
        };
      },
    }),
    route({
      method: 'post', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/read', tag: 'businesses', summary: 'Update read status of messages using filters', access: 'authenticated',
      description: 'Marks the matching messages read (or unread with `is_read: false`); all of the conversation\'s by default. Returns how many changed and the conversation\'s unread count after.',
      params: conversationPath,
      body: readBody,
      responses: {
        200: { description: 'Updated', schema: z.object({ updated: z.number().int(), unread_count: z.number().int() }) },
        ...errorResponses,
      },
      handler: async (ctx, { params, body, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        if (body?.staff_id) await businessStaff(em, params.business_id, body.staff_id);
        if (body?.message_ids) await assertMessagesOf(em, conversation, body.message_ids);
        const { updated, unreadCount } = await markMessagesRead(em, conversation.id, {
          isRead: body?.is_read ?? true,
          messageIds: body?.message_ids,
          before: body?.before,
          channel: body?.channel,
          direction: body?.direction,
          staffId: body?.staff_id,
        });
        ctx.body = { updated, unread_count: unreadCount };
      },
    }),
    route({
      method: 'get', path: '/businesses/{business_id}/clients/{client_id}/conversations/{conversation_id}/history', tag: 'businesses', summary: 'Get conversation history', access: 'authenticated',
      description: 'Status changes, assignments and notes, oldest first, each with its actor (a staff member, an API caller, or omega itself and why).',
      params: conversationPath,
      query: historyQuery,
      responses: { 200: { description: 'One page of history', schema: historyPageSchema }, ...errorResponses },
      handler: async (ctx, { params, query, principal }) => {
        const em = fork();
        const conversation = await pathConversation(em, principal!, params);
        const { entries, total } = await conversationHistory(em, conversation.id, { page: query.page, pageSize: query.page_size });
        ctx.body = pageOf(entries.map(historyEventJson), total, query.page, query.page_size);
      },
    }),
  ];
}
