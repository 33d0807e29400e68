/** The reads the benchmark times, each with the target it is held to. */

export interface Facts {
  businessId: number;
  /** The staff member with the most assigned conversations. */
  staffId: number;
  locationId: number;
  /** The conversation with the most messages. */
  huge: { id: number; clientId: number; messages: number };
  /** A cursor 50,000 conversations deep in the default order. */
  deepListCursor: string;
  /** A cursor 4,000 messages deep in the huge conversation's timeline. */
  deepTimelineCursor: string;
  selective: string;
  broad: string;
  conversations: number;
  messages: number;
}

export interface Target {
  /** Which percentile of the sequential run is held to `ms`. */
  percentile: 'p95' | 'p99';
  ms: number;
  /** A second condition, as words (checked in the report). */
  also?: 'deep ≤ 1.5 × page 1' | 'bounded by LIMIT and the 3 s statement timeout';
}

export interface Probe {
  name: string;
  path: string;
  target: Target | null;
}

export function probes(f: Facts): Probe[] {
  const list = `/businesses/${f.businessId}/conversations`;
  const timeline = `/businesses/${f.businessId}/clients/${f.huge.clientId}/conversations/${f.huge.id}/messages`;
  const list20: Target = { percentile: 'p99', ms: 20 };
  const filter50: Target = { percentile: 'p99', ms: 50 };
  const search50: Target = { percentile: 'p95', ms: 50 };
  const bounded: Target = { percentile: 'p99', ms: 3_000, also: 'bounded by LIMIT and the 3 s statement timeout' };
  return [
    { name: 'list page 1', path: list, target: list20 },
    { name: 'list cursor 50,000 deep', path: `${list}?cursor=${f.deepListCursor}`, target: { ...list20, also: 'deep ≤ 1.5 × page 1' } },
    { name: 'list OFFSET page 1,000', path: `${list}?page=1000&page_size=20`, target: null },
    { name: 'list -created_at', path: `${list}?sort=-created_at`, target: list20 },
    { name: 'filter status=ACTIVE', path: `${list}?status=ACTIVE`, target: filter50 },
    { name: 'filter status=PENDING,SNOOZED', path: `${list}?status=PENDING,SNOOZED`, target: filter50 },
    { name: 'filter unassigned', path: `${list}?unassigned=true`, target: filter50 },
    { name: 'filter assigned_staff_id', path: `${list}?assigned_staff_id=${f.staffId}`, target: filter50 },
    { name: 'filter unread', path: `${list}?unread=true`, target: filter50 },
    { name: 'filter location_id', path: `${list}?location_id=${f.locationId}`, target: filter50 },
    { name: 'filter channel=email', path: `${list}?channel=email`, target: filter50 },
    { name: 'filter ACTIVE + assignee + unread', path: `${list}?status=ACTIVE&assigned_staff_id=${f.staffId}&unread=true`, target: filter50 },
    { name: '/conversations/filters', path: `${list}/filters`, target: filter50 },
    { name: 'timeline page 1', path: timeline, target: list20 },
    { name: 'timeline cursor 4,000 deep', path: `${timeline}?cursor=${f.deepTimelineCursor}`, target: { ...list20, also: 'deep ≤ 1.5 × page 1' } },
    { name: 'timeline is_read=false', path: `${timeline}?is_read=false`, target: filter50 },
    { name: 'timeline channel + direction', path: `${timeline}?direction=inbound&include_notes=false`, target: filter50 },
    { name: 'messages/search selective', path: `/messages/search?conversation_id=${f.huge.id}&q=${f.selective}`, target: search50 },
    { name: 'messages/search broad', path: `/messages/search?conversation_id=${f.huge.id}&q=${f.broad}`, target: bounded },
    { name: 'list q selective (message text)', path: `${list}?q=${f.selective}`, target: search50 },
    { name: 'list q client name', path: `${list}?q=kowalski`, target: search50 },
    { name: 'list q broad (message text)', path: `${list}?q=${f.broad}`, target: bounded },
  ];
}
