import { z } from 'zod';

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

export function paginated<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      page: z.number().int(),
      page_size: z.number().int(),
      total: z.number().int(),
      pages: z.number().int(),
    })
    .meta({ id });
}

export function pageOf<T>(items: T[], total: number, page: number, pageSize: number) {
  return { items, page, page_size: pageSize, total, pages: Math.ceil(total / pageSize) };
}

/** A query flag: `true`/`false` (also 1/0, yes/no). */
export const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
