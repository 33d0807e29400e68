import type { EntityManager } from '@mikro-orm/postgresql';

export interface Page {
  page: number;
  pageSize: number;
}

/** A piece of a WHERE clause and its parameters. */
export interface Condition {
  sql: string;
  params: unknown[];
}

export function allOf(parts: Condition[]): Condition {
  return { sql: parts.map((p) => p.sql).join(' and '), params: parts.flatMap((p) => p.params) };
}

/** A LIKE pattern that finds `text` anywhere, its `%`, `_` and `\` taken literally (`\` is LIKE's default escape). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Matches a person (client or staff row under `alias`) whose first, last or full name or email
 * contains `q`, or, when `q` reads as part of a phone number, whose phone digits contain its digits.
 */
export function personMatches(alias: string, q: string): Condition {
  const pattern = containsPattern(q);
  const clauses = [`(${alias}.first_name || ' ' || ${alias}.last_name) ilike ?`, `${alias}.email ilike ?`];
  const params: unknown[] = [pattern, pattern];
  const digits = q.replace(/\D/g, '');
  if (digits && /^[\d\s()+.-]+$/.test(q)) {
    clauses.push(`regexp_replace(${alias}.phone, '[^0-9]', '', 'g') like ?`);
    params.push(`%${digits}%`);
  }
  return { sql: `(${clauses.join(' or ')})`, params };
}

/**
 * One page of people (rows of `table` under `alias`) by last name, first name and id, and how
 * many match in all.
 */
export async function pageOfPeople(
  em: EntityManager,
  table: 'clients' | 'staff',
  alias: string,
  where: Condition,
  page: Page,
): Promise<{ rows: Record<string, unknown>[]; total: number }> {
  const [counted, rows] = await Promise.all([
    em.execute(`select count(*)::int as total from ${table} ${alias} where ${where.sql}`, where.params),
    em.execute(
      `select ${alias}.* from ${table} ${alias} where ${where.sql}
       order by lower(${alias}.last_name), lower(${alias}.first_name), ${alias}.id
       limit ? offset ?`,
      [...where.params, page.pageSize, (page.page - 1) * page.pageSize],
    ),
  ]);
  return { rows, total: counted[0].total };
}
