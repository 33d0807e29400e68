import { z } from 'zod';
import { UNSTORABLE } from '../middleware/body';
import { CONVERSATION_STATUSES, type Client, type Conversation } from '../../db/entities';
import type { ClientTotals } from '../../db/queries/clients';
import { CHANNELS, DIRECTIONS } from '../../db/message-status';
import { textId } from './common';
import { booleanText, pageQuery, paginated } from './pagination';

const iso = z.string().meta({ format: 'date-time' });

/** PostgreSQL cannot compare text with NUL in it: refused here rather than failing in the database. */
/** A free-text search: trimmed, ≤ 200 characters, `%` and `_` taken literally. */
export const searchText = z
  .string()
  .max(200)
  .refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates')
  .transform((v) => v.trim().replace(/\s+/g, ' '));

export const clientListQuery = z.object({
  ...pageQuery,
  q: searchText.optional().meta({
    description: 'Case-insensitive substring of the first, last or full name, the email, or the phone number\'s digits',
  }),
  location_id: textId.optional().meta({ description: 'Only clients of this location' }),
  opted_out: booleanText.optional().meta({ description: '`true`: opted out of SMS or email; `false`: of neither' }),
});

export const clientSchema = z
  .object({
    id: z.number().int(),
    first_name: z.string(),
    last_name: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    sms_opt_out: z.boolean(),
    email_opt_out: z.boolean(),
    location_id: z.number().int().nullable(),
    created_at: iso,
  })
  .meta({ id: 'Client' });

export const clientPageSchema = paginated(clientSchema, 'ClientPage');

export const lastMessageSchema = z
  .object({ body: z.string().nullable(), channel: z.enum(CHANNELS).nullable(), direction: z.enum(DIRECTIONS).nullable(), at: iso })
  .meta({ id: 'LastMessage', description: 'A preview of the conversation\'s latest message' });

const clientConversationSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(CONVERSATION_STATUSES),
    unread_count: z.number().int(),
    assigned_staff_id: z.number().int().nullable(),
    last_message: lastMessageSchema.nullable(),
    created_at: iso,
    updated_at: iso,
  })
  .meta({ id: 'ClientConversationSummary' });

export const clientProfileSchema = clientSchema
  .extend({
    opt_out: z.object({ sms: z.boolean(), email: z.boolean() }),
    conversations: z.array(clientConversationSchema).meta({ description: 'Newest activity first; the 100 most recent' }),
    totals: z.object({
      conversations: z.number().int(),
      open_conversations: z.number().int().meta({ description: 'Neither RESOLVED nor ARCHIVED' }),
      unread: z.number().int().meta({ description: 'Unread messages over all the client\'s conversations' }),
      messages: z.number().int().meta({ description: 'Every message of the client\'s conversations, internal notes included' }),
      messages_inbound: z.number().int(),
      messages_outbound: z.number().int(),
    }),
  })
  .meta({ id: 'ClientProfile' });

export type ClientJson = z.infer<typeof clientSchema>;
export type ClientProfileJson = z.infer<typeof clientProfileSchema>;

export function clientJson(c: Client): ClientJson {
  return {
    id: c.id,
    first_name: c.firstName,
    last_name: c.lastName,
    phone: c.phone ?? null,
    email: c.email ?? null,
    sms_opt_out: c.smsOptOut,
    email_opt_out: c.emailOptOut,
    location_id: c.locationId ?? null,
    created_at: c.createdAt.toISOString(),
  };
}

function clientConversationJson(c: Conversation): z.infer<typeof clientConversationSchema> {
  return {
    id: c.id,
    status: c.status,
    unread_count: c.unreadCount,
    assigned_staff_id: c.assignedStaffId ?? null,
    last_message: c.lastMessageAt
      ? { body: c.lastMessagePreview ?? null, channel: c.lastMessageChannel ?? null, direction: c.lastMessageDirection ?? null, at: c.lastMessageAt.toISOString() }
      : null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function clientProfileJson(profile: { client: Client; conversations: Conversation[]; totals: ClientTotals }): ClientProfileJson {
  const { client, conversations, totals } = profile;
  return {
    ...clientJson(client),
    opt_out: { sms: client.smsOptOut, email: client.emailOptOut },
    conversations: conversations.map(clientConversationJson),
    totals: {
      conversations: totals.conversations,
      open_conversations: totals.openConversations,
      unread: totals.unread,
      messages: totals.messages,
      messages_inbound: totals.messagesInbound,
      messages_outbound: totals.messagesOutbound,
    },
  };
}
