import { errors, type TwilioErrorBody } from './errors';

export type Outcome = { status: 200; body: Record<string, unknown> } | { status: 400; body: TwilioErrorBody };

function parseInteger(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * One page of an already filtered, ordered list in Twilio's 2010-04-01 list envelope, under `key`:
 * PageSize (default 50, max 1000), Page and PageToken. Page tokens are "PA<sid>" (the page after
 * that item) and "PB<sid>" (the page before it). `filters` are repeated in every page link.
 */
export function pageOf<T extends { sid: string }>(args: {
  items: T[];
  key: string;
  render: (item: T) => unknown;
  query: URLSearchParams;
  basePath: string;
  filters: URLSearchParams;
}): Outcome {
  const { items, query, filters } = args;
  const pageSizeRaw = parseInteger(query.get('PageSize'), 50);
  const pageRaw = parseInteger(query.get('Page'), 0);
  if (pageSizeRaw === undefined || pageSizeRaw < 1) return { status: 400, body: errors.invalidParameter('PageSize') };
  if (pageRaw === undefined) return { status: 400, body: errors.invalidParameter('Page') };
  const pageSize = Math.min(pageSizeRaw, 1000);
  const page = pageRaw;

  let start = page * pageSize;
  let stop = start + pageSize;
  const token = query.get('PageToken') ?? '';
  const anchor = items.findIndex((item) => item.sid === token.slice(2));
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
    return `${args.basePath}?${q.toString()}`;
  };
  const hasNext = start + slice.length < items.length && slice.length > 0;
  const hasPrevious = start > 0 && items.length > 0;

  return {
    status: 200,
    body: {
      end: slice.length > 0 ? start + slice.length - 1 : start,
      first_page_uri: link(0),
      [args.key]: slice.map(args.render),
      next_page_uri: hasNext ? link(page + 1, `PA${slice[slice.length - 1].sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: hasPrevious ? link(Math.max(0, page - 1), `PB${(slice[0] ?? items[items.length - 1]).sid}`) : null,
      start,
      uri: link(page, token || undefined),
    },
  };
}
