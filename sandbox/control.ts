import type Koa from 'koa';
import type { SandboxState } from './state';

/** Unauthenticated helpers for tests and humans under /sandbox/. */
export function controlRoutes(state: SandboxState, reset: () => void): Koa.Middleware {
  const startedAt = Date.now();
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/sandbox/')) return next();
    const route = `${ctx.method} ${ctx.path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /sandbox/health':
        ctx.body = {
          ok: true,
          messages: state.messages.length,
          phoneNumbers: state.phoneNumbers.length,
          verifiedSenders: state.verifiedSenders.length,
          uptimeMs: Date.now() - startedAt,
        };
        return;
      case 'GET /sandbox/messages':
        ctx.body = { messages: state.messages };
        return;
      case 'GET /sandbox/callbacks':
        ctx.body = { callbacks: state.callbacks };
        return;
      case 'GET /sandbox/phone-numbers':
        ctx.body = { phoneNumbers: state.phoneNumbers };
        return;
      case 'GET /sandbox/verified-senders':
        ctx.body = { verifiedSenders: state.verifiedSenders };
        return;
      case 'POST /sandbox/reset':
        reset();
        ctx.body = { ok: true };
        return;
      default:
        ctx.status = 404;
        ctx.body = { error: `no sandbox route ${route}` };
    }
  };
}
