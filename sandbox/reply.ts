import type Koa from 'koa';

/** What a provider handler answers; routes turn it into the HTTP response. */
export interface Reply {
  status: number;
  /** JSON body; ignored for 204. */
  body: unknown;
  headers?: Record<string, string>;
}

export function send(ctx: Koa.Context, reply: Reply): void {
  ctx.status = reply.status;
  ctx.body = reply.status === 204 ? null : reply.body;
  for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
}
