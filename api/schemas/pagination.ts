import { z } from 'zod';
import type { Keyset } from '../../db/queries/keyset';

export const MAX_PAGE_SIZE = 100;

const positiveIntText = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

/** `page` (1-based) and `page_size` (≤ 100) of a paginated list, as query fields. */
export const pageQuery = {
  page: positiveIntText(1_000_000).default(1),
  page_size: positiveIntText(MAX_PAGE_SIZE).default(20),
};

const pageFields = <T extends z.ZodType>(item: T) => ({
  items: z.array(item),
  page: z.number().int(),
  page_size: z.number().int(),
  total: z.number().int(),
  pages: z.number().int(),
});

export function paginated<T extends z.ZodType>(item: T, id: string) {
  return z.object(pageFields(item)).meta({ id });
}

export function pageOf<T>(items: T[], total: number, page: number, pageSize: number) {
  return { items, page, page_size: pageSize, total, pages: Math.ceil(total / pageSize) };
}

/** A query flag: `true`/`false` (also 1/0, yes/no). */
export const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `cursor`: the opaque `next_cursor` of the previous page; with it `page` is ignored. */
export const cursorText = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const keyset = decodeCursor(value);
    if (!keyset) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out' });
      return z.NEVER;
    }
    return keyset;
  })
  .meta({ description: 'The `next_cursor` of the previous page (keyset pagination); `page` is then ignored' });

export function encodeCursor(keyset: Keyset | null): string | null {
  return keyset ? Buffer.from(JSON.stringify([keyset.key, keyset.id])).toString('base64url') : null;
}

/** How PostgreSQL prints a timestamptz, which is what a cursor carries. */
const POSTGRES_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function decodeCursor(value: string): Keyset | null {
  try {
    const [key, id] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[];
    const validKey = typeof key === 'string' && POSTGRES_TIMESTAMP.test(key);
    if (validKey && Number.isSafeInteger(id) && (id as number) > 0) return { key, id: id as number };
  } catch {
    // Not base64url JSON: not ours.
  }
  return null;
}

/** A list page that can also be walked by cursor. */
export function cursorPaginated<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      ...pageFields(item),
      next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    })
    .meta({ id });
}
