import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Location, Staff, type Client } from '../db/entities';
import {
  RecipientNotFound,
  RecipientUnreachable,
  RequestConflict,
  assertSameRequest,
  findRequestMessages,
  insertOutboundMessages,
  openConversations,
  resolveClients,
  type Recipient,
  type SendDraft,
} from '../db/sends';
import { assertBusinessAccess, type Principal } from './auth';
import { fingerprint } from './canonical';
import { startConversationWorkflows } from './conversation-workflows';
import type { AppDeps } from './deps';
import { Conflict, NotFound, ValidationFailed } from './errors';
import { errorResponses, httpErrorSchema } from './schemas/common';
import { startSendWorkflows } from './send-workflows';

const queuedMessage = z.object({
  message_id: z.number().int(),
  conversation_id: z.number().int().nullable(),
  to: z.string().nullable(),
  status: z.string(),
  error_code: z.string().nullable(),
  workflow_id: z.string().nullable(),
});
export const sendResponse = z.object({ request_id: z.string(), messages: z.array(queuedMessage) }).meta({ id: 'SendAccepted' });

/** The answers of a send route; `conflict` says what besides a reused request_id makes it a 409. */
export const sendResponses = (conflict: string) =>
  ({
    202: { description: 'Queued', schema: sendResponse },
    200: { description: 'A repeat of an earlier request: its messages, nothing sent again', schema: sendResponse },
    409: { description: `request_id reused with a different body, or ${conflict}`, schema: httpErrorSchema },
    ...errorResponses,
  }) as const;

/** The fields every send request has, whatever its channel. */
export interface SendRequestBody {
  business_id: number;
  request_id?: string;
  client_id?: number;
  to?: string;
  recipients?: { client_id?: number; to?: string }[];
  staff_id?: number;
  location_id?: number;
}

export interface SendChannel {
  channel: 'sms' | 'email';
  /** The business's own address the send goes out from; refuses what the business cannot send from. */
  senderOf(em: EntityManager, business: Business): Promise<string>;
  /** What the messages say, and when and how they go. */
  content: Omit<SendDraft, 'businessId' | 'channel' | 'requestId' | 'requestHash' | 'fromAddress' | 'locationId' | 'staffId'>;
}

const addressOf = (client: Client, channel: 'sms' | 'email') => (channel === 'sms' ? client.phone! : client.email!.toLowerCase());

/**
 * Accepts a send request of any channel: one message per distinct recipient under the request id
 * (a repeat answers the original messages with 200 and sends nothing; the same id with another
 * body is a 409), each recipient's conversation opened where needed, and the send workflows started.
 */
export async function acceptSend(
  { orm, temporal, config }: Pick<AppDeps, 'orm' | 'temporal' | 'config'>,
  ctx: Context,
  principal: Principal,
  body: SendRequestBody,
  channel: SendChannel,
): Promise<void> {
  assertBusinessAccess(principal, body.business_id);
  const em = orm.em.fork() as EntityManager;
  const { request_id: givenRequestId, ...content } = body;
  const requestHash = fingerprint(content);
  const requestId = givenRequestId ?? randomUUID();

  let messages = givenRequestId ? await findRequestMessages(em, body.business_id, givenRequestId) : [];
  let repeated = messages.length > 0;
  let openedConversationIds: number[] = [];
  if (!repeated) {
    const business = await em.findOne(Business, { id: body.business_id });
    if (!business) throw new NotFound(`business ${body.business_id} not found`);
    if (business.status !== 'ACTIVE') throw new Conflict(`business ${business.id} is ${business.status}, not ACTIVE`);
    await checkStaffAndLocation(em, body.business_id, body.staff_id, body.location_id);
    const from = await channel.senderOf(em, business);
    const recipients: Recipient[] = body.recipients
      ? body.recipients.map((r) => ({ clientId: r.client_id, to: r.to }))
      : [{ clientId: body.client_id, to: body.to }];
    // Clients, conversations and messages are made together or not at all.
    const inserted = await em.transactional(async (tx) => {
      const clients = await resolveClients(tx, body.business_id, channel.channel, recipients).catch(recipientError);
      const conversations = await openConversations(tx, body.business_id, clients, body.location_id);
      openedConversationIds = conversations.openedIds;
      const unique = new Map(clients.map((c) => [addressOf(c, channel.channel), c]));
      return insertOutboundMessages(
        tx,
        {
          ...channel.content,
          businessId: body.business_id,
          channel: channel.channel,
          requestId,
          requestHash,
          fromAddress: from,
          locationId: body.location_id,
          staffId: body.staff_id,
        },
        [...unique.entries()].map(([to, client]) => ({
          client,
          conversation: conversations.byClient.get(client.id)!,
          to,
          optedOut: client.isOptedOut(channel.channel),
        })),
      );
    });
    messages = inserted.messages;
    repeated = inserted.created === 0;
  }
  try {
    assertSameRequest(messages, requestHash);
  } catch (error) {
    if (error instanceof RequestConflict) throw new Conflict(error.message);
    throw error;
  }

  await startConversationWorkflows(temporal, config.temporal.taskQueue, body.business_id, openedConversationIds);
  const workflowIds = await startSendWorkflows(temporal, config.temporal.taskQueue, messages);
  ctx.status = repeated ? 200 : 202;
  ctx.body = {
    request_id: requestId,
    messages: messages.map((m) => ({
      message_id: m.id,
      conversation_id: m.conversationId ?? null,
      to: m.toAddress ?? null,
      status: m.status,
      error_code: m.errorCode ?? null,
      workflow_id: workflowIds.get(m.id) ?? (m.status === 'CANCELED' ? null : `message-${m.id}`),
    })),
  };
}

export async function checkStaffAndLocation(em: EntityManager, businessId: number, staffId?: number, locationId?: number): Promise<void> {
  if (staffId !== undefined && !(await em.findOne(Staff, { id: staffId, businessId }))) throw new NotFound(`staff ${staffId} not found`);
  if (locationId !== undefined && !(await em.findOne(Location, { id: locationId, businessId }))) {
    throw new NotFound(`location ${locationId} not found`);
  }
}

function recipientError(error: unknown): never {
  if (error instanceof RecipientNotFound) throw new NotFound(error.message);
  if (error instanceof RecipientUnreachable) {
    throw new ValidationFailed([{ loc: ['body', 'recipients', error.index, 'client_id'], msg: error.message, type: 'value_error' }]);
  }
  throw error;
}
