import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Conversation, ConversationEvent, Message, Staff, type StatusChange } from './entities';
import type { Actor } from './conversation-status';
import type { Channel, Direction } from './message-status';
import { pgArray } from './sql';

/** The most of a message's text a conversation keeps as its preview. */
export const PREVIEW_LENGTH = 160;

export class ConversationNotFound extends Error {
  constructor(readonly conversationId: number) {
    super(`conversation ${conversationId} not found`);
  }
}

/** Re-opening an archived conversation while the client already has another open one. */
export class ConversationConflict extends Error {}

export class StaffNotAssignable extends Error {
  constructor(readonly staffId: number, readonly reason: 'unknown' | 'inactive') {
    super(reason === 'unknown' ? `staff ${staffId} not found` : `staff ${staffId} is inactive and cannot be assigned`);
  }
}

/** What the conversation workflow knows of its conversation. Times are epoch milliseconds so it carries well across continue-as-new. */
export interface ConversationSnapshot {
  conversationId: number;
  businessId: number;
  status: Conversation['status'];
  assignedStaffId: number | null;
  snoozeUntil: number | null;
  lastActivityAt: number;
  autoResolveAfterMs: number | null;
}

export async function conversationSnapshot(em: EntityManager, conversationId: number): Promise<ConversationSnapshot | null> {
  const conversation = await em.findOne(Conversation, { id: conversationId });
  if (!conversation) return null;
  const business = await em.findOneOrFail(Business, { id: conversation.businessId });
  return snapshotOf(conversation, business);
}

function snapshotOf(conversation: Conversation, business: Business): ConversationSnapshot {
  return {
    conversationId: conversation.id,
    businessId: conversation.businessId,
    status: conversation.status,
    assignedStaffId: conversation.assignedStaffId ?? null,
    snoozeUntil: conversation.snoozeUntil?.getTime() ?? null,
    lastActivityAt: conversation.lastActivityAt().getTime(),
    autoResolveAfterMs: business.autoResolveAfterMs(),
  };
}

async function lockConversation(tx: EntityManager, conversationId: number): Promise<Conversation> {
  const conversation = await tx.findOne(Conversation, { id: conversationId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!conversation) throw new ConversationNotFound(conversationId);
  return conversation;
}

/**
 * Applies a status change and keeps it in the history, or does nothing for the current status.
 * Only the conversation workflow calls this, so changes to one conversation come one at a time.
 */
export async function changeConversationStatus(
  em: EntityManager,
  conversationId: number,
  change: StatusChange,
): Promise<{ previousStatus: Conversation['status']; changed: boolean; snapshot: ConversationSnapshot }> {
  try {
    return await em.transactional(async (tx) => {
      const conversation = await lockConversation(tx, conversationId);
      const previousStatus = conversation.status;
      const changed = conversation.moveTo(change);
      if (changed) {
        tx.persist(
          new ConversationEvent(conversation, 'status', change.actor, {
            fromStatus: previousStatus,
            toStatus: change.to,
            snoozeUntil: conversation.snoozeUntil,
            note: change.to === 'RESOLVED' ? conversation.resolutionNote : null,
            createdAt: change.at,
          }),
        );
      }
      await tx.flush();
      const business = await tx.findOneOrFail(Business, { id: conversation.businessId });
      return { previousStatus, changed, snapshot: snapshotOf(conversation, business) };
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new ConversationConflict('The client already has an open conversation; this one stays archived');
    }
    throw error;
  }
}

/** Assigns the conversation to an active staff member of its business, or unassigns it (null). */
export async function assignConversation(
  em: EntityManager,
  conversationId: number,
  staffId: number | null,
  actor: Actor,
  at: Date,
): Promise<{ previousStaffId: number | null; changed: boolean; snapshot: ConversationSnapshot }> {
  return em.transactional(async (tx) => {
    const conversation = await lockConversation(tx, conversationId);
    if (staffId !== null) {
      const staff = await tx.findOne(Staff, { id: staffId, businessId: conversation.businessId });
      if (!staff) throw new StaffNotAssignable(staffId, 'unknown');
      if (!staff.isActive) throw new StaffNotAssignable(staffId, 'inactive');
    }
    const previousStaffId = conversation.assignedStaffId ?? null;
    const changed = previousStaffId !== staffId;
    if (changed) {
      conversation.assignedStaffId = staffId;
      conversation.updatedAt = at;
      tx.persist(new ConversationEvent(conversation, 'assignment', actor, { fromStaffId: previousStaffId, toStaffId: staffId, createdAt: at }));
    }
    await tx.flush();
    const business = await tx.findOneOrFail(Business, { id: conversation.businessId });
    return { previousStaffId, changed, snapshot: snapshotOf(conversation, business) };
  });
}

/** An internal note: a message of the timeline that is never sent, and an entry of the history. */
export async function addNote(em: EntityManager, conversation: Conversation, body: string, actor: Actor): Promise<Message> {
  return em.transactional(async (tx) => {
    const note = tx.create(Message, {
      businessId: conversation.businessId,
      conversationId: conversation.id,
      clientId: conversation.clientId,
      channel: 'note',
      direction: 'internal',
      status: 'RECORDED',
      body,
      isRead: true,
      staffId: actor.type === 'staff' ? actor.staffId : null,
    });
    await tx.flush();
    tx.persist(new ConversationEvent(conversation, 'note', actor, { messageId: note.id, createdAt: note.createdAt }));
    await tx.execute('update conversations set updated_at = now() where id = ?', [conversation.id]);
    await tx.flush();
    return note;
  });
}

export interface ReadFilter {
  isRead: boolean;
  messageIds?: number[];
  before?: Date;
  channel?: Channel;
  direction?: Direction;
  staffId?: number;
}

/**
 * Marks the conversation's messages that match as read (or unread) and recounts its unread
 * inbound messages, under the conversation's row lock so that concurrent inbound messages and
 * reads leave the count right.
 */
export async function markMessagesRead(em: EntityManager, conversationId: number, filter: ReadFilter): Promise<{ updated: number; unreadCount: number }> {
  return em.transactional(async (tx) => {
    await lockConversation(tx, conversationId);
    const conditions = ['conversation_id = ?', 'is_read <> ?'];
    const params: unknown[] = [conversationId, filter.isRead];
    if (filter.messageIds) {
      conditions.push('id = any(?::bigint[])');
      params.push(pgArray(filter.messageIds));
    }
    if (filter.before) {
      conditions.push('created_at < ?');
      params.push(filter.before);
    }
    if (filter.channel) {
      conditions.push('channel = ?');
      params.push(filter.channel);
    }
    if (filter.direction) {
      conditions.push('direction = ?');
      params.push(filter.direction);
    }
    if (filter.staffId !== undefined) {
      conditions.push('staff_id = ?');
      params.push(filter.staffId);
    }
    const updated = await tx.execute(
      `update messages set is_read = ?, updated_at = now() where ${conditions.join(' and ')} returning id`,
      [filter.isRead, ...params],
    );
    const [{ unread_count: unreadCount }] = await tx.execute(
      `update conversations set unread_count = (
         select count(*) from messages where conversation_id = ? and direction = 'inbound' and not is_read)
       where id = ? returning unread_count`,
      [conversationId, conversationId],
    );
    return { updated: updated.length, unreadCount };
  });
}

export interface NewMessageSummary {
  body?: string | null;
  subject?: string | null;
  channel: Channel;
  direction: Direction;
  at: Date;
  unread: boolean;
}

/**
 * Counts a new message into its conversations in one statement: the preview moves only forward
 * in time, the unread count grows by the unread ones, and the channel joins the conversation's.
 */
export async function countNewMessage(em: EntityManager, conversationIds: number[], message: NewMessageSummary): Promise<void> {
  const newer = '(c.last_message_at is null or c.last_message_at <= m.at)';
  await em.execute(
    `with m as (select ?::text as body, ?::text as subject, ?::timestamptz as at, ?::text as channel, ?::text as direction, ?::int as unread)
     update conversations c set
       last_message_at = case when ${newer} then m.at else c.last_message_at end,
       last_message_preview = case when ${newer} then left(coalesce(m.body, m.subject, ''), ${PREVIEW_LENGTH}) else c.last_message_preview end,
       last_message_channel = case when ${newer} then m.channel else c.last_message_channel end,
       last_message_direction = case when ${newer} then m.direction else c.last_message_direction end,
       unread_count = c.unread_count + m.unread,
       channels = case when m.channel = any(c.channels) then c.channels else array_append(c.channels, m.channel) end,
       updated_at = now()
     from m where c.id = any(?::bigint[])`,
    [message.body ?? null, message.subject ?? null, message.at, message.channel, message.direction, message.unread ? 1 : 0, pgArray(conversationIds)],
  );
}

export interface InboundMessage {
  conversation: Pick<Conversation, 'id' | 'businessId' | 'clientId'>;
  channel: Exclude<Channel, 'note'>;
  body?: string | null;
  subject?: string | null;
  fromAddress?: string | null;
  toAddress?: string | null;
  providerMessageId?: string | null;
  mediaUrls?: string[];
  at?: Date;
}

/** Stores a message a client sent and counts it, unread, into its conversation, together. */
export async function recordInboundMessage(em: EntityManager, inbound: InboundMessage): Promise<Message> {
  return em.transactional(async (tx) => {
    const at = inbound.at ?? new Date();
    const message = tx.create(Message, {
      businessId: inbound.conversation.businessId,
      conversationId: inbound.conversation.id,
      clientId: inbound.conversation.clientId,
      channel: inbound.channel,
      direction: 'inbound',
      status: 'RECEIVED',
      body: inbound.body ?? null,
      subject: inbound.subject ?? null,
      fromAddress: inbound.fromAddress ?? null,
      toAddress: inbound.toAddress ?? null,
      providerMessageId: inbound.providerMessageId ?? null,
      mediaUrls: inbound.mediaUrls ?? [],
      createdAt: at,
      updatedAt: at,
    });
    await tx.flush();
    await countNewMessage(tx, [inbound.conversation.id], { body: message.body, subject: message.subject, channel: inbound.channel, direction: 'inbound', at, unread: true });
    return message;
  });
}
