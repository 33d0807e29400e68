import { z } from 'zod';
import { CONVERSATION_STATUSES } from '../../db/entities';
import type { ConversationListItem, FilterCounts, HistoryEntry } from '../../db/queries/conversations';
import { CHANNELS, DIRECTIONS, MESSAGE_STATUSES } from '../../db/message-status';
import { UNSTORABLE } from '../middleware/body';
import { lastMessageSchema, searchText } from './client';
import { bodyId, statusWordOf, textId, timestamp } from './common';
import { booleanText, cursorPaginated, cursorText, pageQuery, paginated } from './pagination';

const iso = z.string().meta({ format: 'date-time' });
const isoOrNull = (d?: Date | null) => (d ? d.toISOString() : null);

/** A status word in any case, returned upper-case. */
export const statusWord = statusWordOf(CONVERSATION_STATUSES);

/** A repeatable (`status=A&status=B`) or comma-separated query list of status words. */
const statusList = z
  .union([z.string(), z.array(z.string()).max(10)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.trim() !== ''))
  .pipe(z.array(statusWord));

/** Text PostgreSQL can store, up to `max` characters. */
export const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates');

export const conversationListQuery = z.object({
  ...pageQuery,
  cursor: cursorText.optional(),
  status: statusList.optional().meta({ description: 'Repeatable, or comma-separated; any case' }),
  assigned_staff_id: textId.optional(),
  unassigned: booleanText.optional().meta({ description: '`true`: only conversations nobody is assigned to' }),
  location_id: textId.optional(),
  channel: z.enum(['sms', 'email', 'voice']).optional().meta({ description: 'Conversations that have used this channel' }),
  unread: booleanText.optional(),
  client_id: textId.optional(),
  q: searchText.optional().meta({ description: 'Client name, phone or email (substring), or words of the conversation\'s messages (full text)' }),
  updated_after: timestamp.optional(),
  sort: z.enum(['-last_message_at', 'last_message_at', '-created_at', 'created_at']).default('-last_message_at').meta({
    description: '`-` for descending. Default: newest activity (last message, or creation when none) first',
  }),
});

export const filtersQuery = z.object({
  status: statusList.optional().meta({ description: 'The statuses the assignee, channel, location and unread counts cover; default every status but ARCHIVED' }),
});

export const createConversationBody = z
  .object({
    location_id: bodyId.nullable().optional(),
    channel: z.enum(['sms', 'email', 'voice']).optional().meta({ description: 'The channel the conversation starts on' }),
  })
  .strict()
  .optional();

export const timelineQuery = z.object({
  ...pageQuery,
  cursor: cursorText.optional(),
  channel: z.enum(CHANNELS).optional(),
  direction: z.enum(DIRECTIONS).optional(),
  status: statusWordOf(MESSAGE_STATUSES).optional(),
  is_read: booleanText.optional(),
  before: timestamp.optional(),
  after: timestamp.optional(),
  include_notes: booleanText.default(true),
});

export const noteBody = z.object({ body: storableText(10_000).refine((v) => v.trim() !== '', 'must not be empty'), staff_id: bodyId.nullable().optional() }).strict();

export const assignBody = z.object({ staff_id: bodyId.nullable().meta({ description: 'null unassigns' }) }).strict();

export const statusQuery = z.object({ status: statusWord.optional() });

export const statusBody = z
  .object({
    status: statusWord.optional(),
    resolution_note: storableText(2_000).nullable().optional(),
    snooze_until: timestamp.nullable().optional(),
    staff_id: bodyId.nullable().optional().meta({ description: 'Who made the change, when the caller is not a staff session' }),
  })
  .strict()
  .optional();

export const readBody = z
  .object({
    is_read: z.boolean().default(true),
    message_ids: z.array(bodyId).min(1).max(1000).optional(),
    before: timestamp.optional(),
    channel: z.enum(CHANNELS).optional(),
    direction: z.enum(DIRECTIONS).optional(),
    staff_id: bodyId.optional().meta({ description: 'Only messages of this staff member' }),
  })
  .strict()
  .optional();

export const historyQuery = z.object(pageQuery);

export const searchQuery = z.object({
  ...pageQuery,
  conversation_id: textId,
  q: searchText.refine((v) => v !== '', 'must not be empty'),
});

const clientSummarySchema = z
  .object({ id: z.number().int(), first_name: z.string(), last_name: z.string(), phone: z.string().nullable(), email: z.string().nullable() })
  .meta({ id: 'ClientSummary' });

const staffSummarySchema = z.object({ id: z.number().int(), first_name: z.string(), last_name: z.string() }).meta({ id: 'StaffSummary' });

export const conversationSchema = z
  .object({
    id: z.number().int(),
    conversation_id: z.number().int(),
    business_id: z.number().int(),
    client: clientSummarySchema,
    status: z.enum(CONVERSATION_STATUSES),
    assigned_staff: staffSummarySchema.nullable(),
    assigned_staff_id: z.number().int().nullable(),
    location_id: z.number().int().nullable(),
    unread_count: z.number().int(),
    channels: z.array(z.enum(CHANNELS)),
    last_message: lastMessageSchema.nullable(),
    snooze_until: iso.nullable(),
    resolved_at: iso.nullable(),
    resolved_by_staff_id: z.number().int().nullable(),
    resolution_note: z.string().nullable(),
    created_at: iso,
    updated_at: iso,
  })
  .meta({ id: 'Conversation' });

export const conversationPageSchema = cursorPaginated(conversationSchema, 'ConversationPage');

export function conversationJson({ conversation: c, client, assignedStaff }: ConversationListItem): z.infer<typeof conversationSchema> {
  return {
    id: c.id,
    conversation_id: c.id,
    business_id: c.businessId,
    client: { id: client.id, first_name: client.firstName, last_name: client.lastName, phone: client.phone, email: client.email },
    status: c.status,
    assigned_staff: assignedStaff ? { id: assignedStaff.id, first_name: assignedStaff.firstName, last_name: assignedStaff.lastName } : null,
    assigned_staff_id: c.assignedStaffId ?? null,
    location_id: c.locationId ?? null,
    unread_count: c.unreadCount,
    channels: c.channels,
    last_message: c.lastMessageAt
      ? { body: c.lastMessagePreview ?? null, channel: c.lastMessageChannel ?? null, direction: c.lastMessageDirection ?? null, at: c.lastMessageAt.toISOString() }
      : null,
    snooze_until: isoOrNull(c.snoozeUntil),
    resolved_at: isoOrNull(c.resolvedAt),
    resolved_by_staff_id: c.resolvedByStaffId ?? null,
    resolution_note: c.resolutionNote ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export const filterCountsSchema = z
  .object({
    statuses: z.array(z.object({ status: z.enum(CONVERSATION_STATUSES), count: z.number().int() })),
    assignees: z.array(z.object({ staff_id: z.number().int(), first_name: z.string(), last_name: z.string(), count: z.number().int() })),
    unassigned: z.number().int(),
    mine: z.number().int().nullable().meta({ description: 'Assigned to the calling staff member; null unless a staff session calls' }),
    channels: z.array(z.object({ channel: z.enum(CHANNELS), count: z.number().int() })),
    locations: z.array(z.object({ location_id: z.number().int(), name: z.string(), count: z.number().int() })),
    unread: z.object({ conversations: z.number().int(), messages: z.number().int() }),
  })
  .meta({ id: 'ConversationFilters' });

export function filterCountsJson(counts: FilterCounts): z.infer<typeof filterCountsSchema> {
  return {
    statuses: counts.statuses,
    assignees: counts.assignees.map((a) => ({ staff_id: a.staffId, first_name: a.firstName, last_name: a.lastName, count: a.count })),
    unassigned: counts.unassigned,
    mine: counts.mine,
    channels: counts.channels,
    locations: counts.locations.map((l) => ({ location_id: l.locationId, name: l.name, count: l.count })),
    unread: counts.unread,
  };
}

export const historyEventSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(['status', 'assignment', 'note']),
    actor: z.object({
      type: z.enum(['staff', 'api', 'system']),
      staff_id: z.number().int().nullable(),
      reason: z.string().nullable().meta({ description: 'Why omega itself acted: inbound_message, snooze_expired, auto_resolved' }),
    }),
    from_status: z.enum(CONVERSATION_STATUSES).nullable(),
    to_status: z.enum(CONVERSATION_STATUSES).nullable(),
    from_staff_id: z.number().int().nullable(),
    to_staff_id: z.number().int().nullable(),
    snooze_until: iso.nullable(),
    resolution_note: z.string().nullable(),
    message_id: z.number().int().nullable(),
    note: z.string().nullable(),
    created_at: iso,
  })
  .meta({ id: 'ConversationEvent' });

export const historyPageSchema = paginated(historyEventSchema, 'ConversationHistoryPage');

export function historyEventJson({ event: e, noteBody }: HistoryEntry): z.infer<typeof historyEventSchema> {
  return {
    id: e.id,
    kind: e.kind,
    actor: { type: e.actorType, staff_id: e.actorStaffId ?? null, reason: e.reason ?? null },
    from_status: e.fromStatus ?? null,
    to_status: e.toStatus ?? null,
    from_staff_id: e.fromStaffId ?? null,
    to_staff_id: e.toStaffId ?? null,
    snooze_until: isoOrNull(e.snoozeUntil),
    resolution_note: e.kind === 'status' ? (e.note ?? null) : null,
    message_id: e.messageId ?? null,
    note: e.kind === 'note' ? noteBody : null,
    created_at: e.createdAt.toISOString(),
  };
}
