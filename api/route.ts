import type { Context } from 'koa';
import { z } from 'zod';
import type { Principal } from './auth';
import { ValidationFailed, type ValidationIssue } from './errors';
import { DEFAULT_BODY_LIMIT, parseBody, type BodyKind } from './middleware/body';

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Who may call a route: anyone, any valid key or session, the admin key only, or a provider (signature checked by the route). */
export type Access = 'public' | 'authenticated' | 'admin' | 'provider';

export interface RouteResponse {
  description: string;
  schema?: Schema;
  contentType?: string;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  rawBody: Buffer;
  principal: Principal | undefined;
}

export interface Route<P extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, B extends Schema | undefined = Schema | undefined> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form, `/businesses/{business_id}/...`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  bodyKind?: BodyKind;
  bodyLimitBytes?: number;
  /** Checks the raw body before it is parsed (a provider's signature over the exact bytes); throws to refuse. */
  verifyRawBody?: (ctx: Context, raw: Buffer) => void;
  responses: Record<number, RouteResponse>;
  /** Hidden routes (docs assets) are served but left out of the OpenAPI description. */
  hidden?: boolean;
  handler: (ctx: Context, input: RouteInput<Out<P>, Out<Q>, Out<B>>) => Promise<void>;
}

/** Declares a route; the generic parameters carry the schemas' types to the handler. */
export function route<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(
  spec: Route<P, Q, B>,
): Route {
  return spec as unknown as Route;
}

export function koaPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

function issuesOf(error: z.ZodError, location: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    loc: [location, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: issue.message,
    type: issue.code,
  }));
}

/** Parses path, query and body against the route's schemas, reporting every bad field at once. */
export async function validateInput(ctx: Context, spec: Route): Promise<Omit<RouteInput<unknown, unknown, unknown>, 'principal'>> {
  const issues: ValidationIssue[] = [];
  const check = (schema: Schema | undefined, value: unknown, location: string): unknown => {
    if (!schema) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    issues.push(...issuesOf(result.error, location));
    return undefined;
  };
  const params = check(spec.params, ctx.params ?? {}, 'path');
  const query = check(spec.query, { ...ctx.query }, 'query');
  let raw: Buffer = Buffer.alloc(0);
  let body: unknown;
  if (spec.body) {
    const verify = spec.verifyRawBody;
    const parsed = await parseBody(ctx, spec.bodyKind ?? 'json', spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT, verify && ((raw) => verify(ctx, raw)));
    raw = parsed.raw;
    const empty = spec.bodyKind === 'form' ? {} : undefined;
    body = check(spec.body, parsed.raw.length === 0 ? empty : parsed.value, 'body');
  }
  if (issues.length > 0) throw new ValidationFailed(issues);
  return { params, query, body, rawBody: raw };
}
