import { errors } from './errors';
import { toResource, type SandboxMessage } from './message';
import { pageOf, type Outcome } from './page';

const DAY_MS = 86_400_000;
const FILTER_KEYS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;

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

/**
 * GET .../Messages.json: filters To, From, DateSent, DateSent< (on or before), DateSent> (on or after);
 * newest first; paged like every Twilio list (see pageOf).
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

  return pageOf({ items, key: 'messages', render: toResource, query, basePath, filters });
}
