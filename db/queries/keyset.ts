/**
 * A position in a list ordered by (key, id): the key is kept as PostgreSQL's own text of the
 * value, so a timestamp's microseconds survive the round trip through a cursor.
 */
export interface Keyset {
  key: string;
  id: number;
}

/** SQL for "after this position" in a (key, id) order, descending or ascending. */
export function afterKeyset(keyExpression: string, idExpression: string, descending: boolean, after: Keyset): { sql: string; params: unknown[] } {
  return { sql: `(${keyExpression}, ${idExpression}) ${descending ? '<' : '>'} (?::timestamptz, ?::bigint)`, params: [after.key, after.id] };
}
