import { errors, type TwilioErrorBody } from './errors';
import { toResource, type SandboxMessage } from './message';

const DAY_MS = 86_400_000;
const FILTER_KEYS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;

type Outcome = { status: 200; body: Record<string, unknown> } | { status: 400; body: TwilioErrorBody };

/** A DateSent value as a [start, end) range: a whole UTC day for YYYY-MM-DD, else one second. */
function dateRange(value: string): { start: number; end: number } | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : { start, end: start + DAY_MS };
  }
  const start = Date.parse(value);
  if (Number.isNaN(start)) return undefined;
  const second = Math.floor(start / 1000) * 1000;
  return { start: second, end: second + 1000 };
}

function parseInteger(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * GET .../Messages.json: filters To, From, DateSent, DateSent< (on or before), DateSent> (on or after);
 * newest first; PageSize (default 50, max 1000), Page and PageToken; Twilio's list envelope.
 * Page tokens are "PA<sid>" (the page after that message) and "PB<sid>" (the page before it).
 */
export function listMessages(stored: SandboxMessage[], query: URLSearchParams, basePath: string): Outcome {
  const filters = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value !== null && value !== '') filters.set(key, value);
  }

  let items = [...stored].reverse();
  const to = filters.get('To');
  const from = filters.get('From');
  if (to !== null) items = items.filter((m) => m.to === to);
  if (from !== null) items = items.filter((m) => m.from === from);
  for (const key of ['DateSent', 'DateSent<', 'DateSent>'] as const) {
    const value = filters.get(key);
    if (value === null) continue;
    const range = dateRange(value);
    if (!range) return { status: 400, body: errors.invalidParameter(key) };
    items = items.filter((m) => {
      if (!m.dateSent) return false;
      const t = m.dateSent.getTime();
      if (key === 'DateSent') return t >= range.start && t < range.end;
      return key === 'DateSent<' ? t < range.end : t >= range.start;
    });
  }

  const pageSizeRaw = parseInteger(query.get('PageSize'), 50);
  const pageRaw = parseInteger(query.get('Page'), 0);
  if (pageSizeRaw === undefined || pageSizeRaw < 1) return { status: 400, body: errors.invalidParameter('PageSize') };
  if (pageRaw === undefined) return { status: 400, body: errors.invalidParameter('Page') };
  const pageSize = Math.min(pageSizeRaw, 1000);
  const page = pageRaw;

  let start = page * pageSize;
  let stop = start + pageSize;
  const token = query.get('PageToken') ?? '';
  const anchor = items.findIndex((m) => m.sid === token.slice(2));
  if (anchor >= 0 && token.startsWith('PA')) {
    start = anchor + 1;
    stop = start + pageSize;
  }
  if (anchor >= 0 && token.startsWith('PB')) {
    start = Math.max(0, anchor - pageSize);
    stop = anchor;
  }

  const slice = items.slice(start, stop);
  const link = (pageNumber: number, pageToken?: string): string => {
    const q = new URLSearchParams(filters);
    q.set('PageSize', String(pageSize));
    q.set('Page', String(pageNumber));
    if (pageToken) q.set('PageToken', pageToken);
    return `${basePath}?${q.toString()}`;
  };
  const hasNext = start + slice.length < items.length && slice.length > 0;
  const hasPrevious = start > 0 && items.length > 0;

  return {
    status: 200,
    body: {
      end: slice.length > 0 ? start + slice.length - 1 : start,
      first_page_uri: link(0),
      messages: slice.map(toResource),
      next_page_uri: hasNext ? link(page + 1, `PA${slice[slice.length - 1].sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: hasPrevious ? link(Math.max(0, page - 1), `PB${(slice[0] ?? items[items.length - 1]).sid}`) : null,
      start,
      uri: link(page, token || undefined),
    },
  };
}
