import pino from 'pino';
import { z } from 'zod';
import { apiRoutes } from '../../api/app';
import type { AppDeps } from '../../api/deps';
import type { Route } from '../../api/route';
import { loadConfig } from '../../config/env';

/**
 * Sweeps are driven by the route table itself, read once at load time to declare one test per route
 * and check. Building the table must not touch the database or Temporal; if it ever does, this says so.
 */
function unusedWhileBuildingTheTable<T>(name: string): T {
  return new Proxy({}, {
    get: (_target, property) => {
      throw new Error(`apiRoutes() used ${name}.${String(property)} while building the route table`);
    },
  }) as T;
}
const tableDeps: AppDeps = {
  orm: unusedWhileBuildingTheTable('orm'),
  temporal: unusedWhileBuildingTheTable('temporal'),
  config: loadConfig({}),
  logger: pino({ level: 'silent' }),
};

/** Every route the API serves, as `apiRoutes()` declares them. */
export const ROUTES = apiRoutes(tableDeps);

export const label = (spec: Route) => `${spec.method.toUpperCase()} ${spec.path}`;
export const needsCredentials = (spec: Route) => spec.access === 'authenticated' || spec.access === 'admin';

export function accepts(schema: z.ZodType, value: unknown): boolean {
  try {
    return schema.safeParse(value).success;
  } catch {
    return false;
  }
}

/** The fields of an object schema, looking through optional/default/pipe/transform wrappers. */
export function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  for (let current: unknown = schema, depth = 0; current && depth < 10; depth++) {
    if (current instanceof z.ZodObject) return current.shape as Record<string, z.ZodType>;
    const def = (current as { def?: Record<string, unknown>; _zod?: { def?: Record<string, unknown> } }).def ??
      (current as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    current = def?.innerType ?? def?.in ?? def?.schema;
  }
  return undefined;
}
