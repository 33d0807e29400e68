import type { EntityManager } from '@mikro-orm/postgresql';
import { Location, Staff, type ConversationStatus } from '../entities';
import { openConversation } from './clients';
import { allOf, pageOfPeople, personMatches, type Condition, type Page } from './people';

export interface StaffFilter {
  q?: string;
  /** Staff whose location_ids contain it. */
  locationId?: number;
  isActive?: boolean;
}

export interface AssignedConversation {
  id: number;
  status: ConversationStatus;
  unreadCount: number;
  lastMessageAt: Date | null;
  client: { id: number; firstName: string; lastName: string; phone: string | null; email: string | null };
}

export interface StaffProfile {
  staff: Staff;
  locations: Location[];
  openConversations: AssignedConversation[];
  openConversationCount: number;
}

/** Open conversations listed on a profile; the count covers them all. */
const PROFILE_CONVERSATION_LIMIT = 100;

function staffConditions(businessId: number, filter: StaffFilter): Condition {
  const parts: Condition[] = [{ sql: 's.business_id = ?', params: [businessId] }];
  if (filter.q) parts.push(personMatches('s', filter.q));
  if (filter.locationId !== undefined) parts.push({ sql: '?::bigint = any(s.location_ids)', params: [filter.locationId] });
  if (filter.isActive !== undefined) parts.push({ sql: 's.is_active = ?', params: [filter.isActive] });
  return allOf(parts);
}

/** One page of a business's staff by last name, first name and id, and how many match in all. */
export async function searchStaff(em: EntityManager, businessId: number, filter: StaffFilter, page: Page): Promise<{ staff: Staff[]; total: number }> {
  const { rows, total } = await pageOfPeople(em, 'staff', 's', staffConditions(businessId, filter), page);
  return { staff: rows.map((row) => em.map(Staff, row)), total };
}

/** A staff member of the business with their locations and the open conversations assigned to them, or null. */
export async function staffProfile(em: EntityManager, businessId: number, staffId: number): Promise<StaffProfile | null> {
  const staff = await em.findOne(Staff, { id: staffId, businessId });
  if (!staff) return null;
  const [locations, rows, [counted]] = await Promise.all([
    em.find(Location, { businessId, id: { $in: staff.locationIds } }, { orderBy: { id: 'asc' } }),
    em.execute(
      `select c.id, c.status, c.unread_count, c.last_message_at,
              cl.id as client_id, cl.first_name, cl.last_name, cl.phone, cl.email
       from conversations c join clients cl on cl.id = c.client_id
       where c.business_id = ? and c.assigned_staff_id = ? and ${openConversation('c')}
       order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
       limit ?`,
      [businessId, staffId, PROFILE_CONVERSATION_LIMIT],
    ),
    em.execute(`select count(*)::int as total from conversations c where c.business_id = ? and c.assigned_staff_id = ? and ${openConversation('c')}`, [
      businessId,
      staffId,
    ]),
  ]);
  return {
    staff,
    locations,
    openConversations: rows.map((row: Record<string, unknown>) => ({
      id: Number(row.id),
      status: row.status as ConversationStatus,
      unreadCount: Number(row.unread_count),
      lastMessageAt: row.last_message_at ? new Date(row.last_message_at as string | Date) : null,
      client: {
        id: Number(row.client_id),
        firstName: String(row.first_name),
        lastName: String(row.last_name),
        phone: (row.phone as string | null) ?? null,
        email: (row.email as string | null) ?? null,
      },
    })),
    openConversationCount: counted.total,
  };
}
