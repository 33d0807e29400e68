import { z } from 'zod';
import type { AppDeps } from '../deps';
import { ServiceUnavailable } from '../errors';
import { route } from '../route';
import { httpErrorSchema } from '../schemas/common';

const started = Date.now();
const DB_CHECK_TIMEOUT_MS = 2000;

export function healthRoutes({ orm, version = '0.0.0' }: AppDeps) {
  return [
    route({
      method: 'get', path: '/health', tag: 'health', summary: 'Get Health', access: 'public',
      responses: {
        200: {
          description: 'The API process is up',
          schema: z.object({ status: z.literal('healthy'), version: z.string(), uptime_s: z.number() }),
        },
      },
      handler: async (ctx) => {
        ctx.body = { status: 'healthy', version, uptime_s: Math.round((Date.now() - started) / 100) / 10 };
      },
    }),
    route({
      method: 'get', path: '/health/db', tag: 'health', summary: 'Check Db Connection', access: 'public',
      responses: {
        200: { description: 'The database answers', schema: z.object({ status: z.literal('connected'), latency_ms: z.number() }) },
        503: { description: 'The database does not answer', schema: httpErrorSchema },
      },
      handler: async (ctx) => {
        const t0 = process.hrtime.bigint();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            orm.em.getConnection().execute('select 1'),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out')), DB_CHECK_TIMEOUT_MS);
            }),
          ]);
        } catch (error) {
          throw new ServiceUnavailable(`database unreachable: ${(error as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
        ctx.body = { status: 'connected', latency_ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100 };
      },
    }),
  ];
}
