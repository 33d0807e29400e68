import { z } from 'zod';
import { CONVERSATION_STATUSES, type Staff } from '../../db/entities';
import type { StaffProfile } from '../../db/queries/staff';
import { searchText } from './client';
import { textId } from './common';
import { locationJson, locationSchema } from './location';
import { booleanText, pageQuery, paginated } from './pagination';

const iso = z.string().meta({ format: 'date-time' });

export const staffListQuery = z.object({
  ...pageQuery,
  q: searchText.optional().meta({ description: 'Case-insensitive substring of the first, last or full name, the email, or the phone number\'s digits' }),
  location_id: textId.optional().meta({ description: 'Only staff working at this location' }),
  is_active: booleanText.optional(),
});

export const staffSchema = z
  .object({
    id: z.number().int(),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    role: z.string(),
    is_active: z.boolean(),
    location_ids: z.array(z.number().int()),
  })
  .meta({ id: 'Staff' });

export const staffPageSchema = paginated(staffSchema, 'StaffPage');

const assignedConversationSchema = z
  .object({
    id: z.number().int(),
    client: z.object({ id: z.number().int(), first_name: z.string(), last_name: z.string(), phone: z.string().nullable(), email: z.string().nullable() }),
    status: z.enum(CONVERSATION_STATUSES),
    unread_count: z.number().int(),
    last_message_at: iso.nullable(),
  })
  .meta({ id: 'AssignedConversation' });

export const staffProfileSchema = staffSchema
  .extend({
    locations: z.array(locationSchema),
    open_conversations: z
      .array(assignedConversationSchema)
      .meta({ description: 'Assigned to this staff member and neither RESOLVED nor ARCHIVED; newest activity first, at most 100' }),
    open_conversation_count: z.number().int().meta({ description: 'All of them, beyond the 100 listed' }),
  })
  .meta({ id: 'StaffProfile' });

export type StaffJson = z.infer<typeof staffSchema>;
export type StaffProfileJson = z.infer<typeof staffProfileSchema>;

export function staffJson(s: Staff): StaffJson {
  return {
    id: s.id,
    first_name: s.firstName,
    last_name: s.lastName,
    email: s.email ?? null,
    phone: s.phone ?? null,
    role: s.role,
    is_active: s.isActive,
    location_ids: s.locationIds,
  };
}

export function staffProfileJson(profile: StaffProfile): StaffProfileJson {
  return {
    ...staffJson(profile.staff),
    locations: profile.locations.map(locationJson),
    open_conversations: profile.openConversations.map((c) => ({
      id: c.id,
      client: { id: c.client.id, first_name: c.client.firstName, last_name: c.client.lastName, phone: c.client.phone, email: c.client.email },
      status: c.status,
      unread_count: c.unreadCount,
      last_message_at: c.lastMessageAt ? c.lastMessageAt.toISOString() : null,
    })),
    open_conversation_count: profile.openConversationCount,
  };
}
