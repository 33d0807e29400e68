/**
 * A PostgreSQL array literal for one bound parameter (`?::bigint[]`, `?::text[]`). The query
 * layer would otherwise spread a JS array into a list of parameters.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}
