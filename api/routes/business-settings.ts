import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isClockTime } from '../../db/quiet-hours';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { route } from '../route';
import { errorResponses, textId } from '../schemas/common';

const clockTime = z.string().refine(isClockTime, 'must be a 24-hour time, HH:MM');

const settingsSchema = z
  .object({
    auto_resolve_after_hours: z.number().int().min(1).max(24 * 365).nullable().meta({
      description: 'Hours without a message after which an ACTIVE or PENDING conversation is resolved by itself; null turns it off. Default 168 (7 days).',
    }),
    quiet_hours: z
      .object({ start: clockTime, end: clockTime })
      .strict()
      .nullable()
      .meta({
        description:
          'Local hours in which SMS wait (e.g. {"start": "21:00", "end": "08:00"}), in the time zone of the conversation\'s ' +
          'location, else the business\'s. A waiting message goes out when they end; transactional sends and STOP/HELP ' +
          'answers are not held. Default null: none.',
      }),
    record_calls: z.boolean().meta({
      description: 'Whether answered calls are recorded, both parties from the answer on; the recording\'s URL lands on the call in the timeline. Default false.',
    }),
    missed_call_text_back: z
      .object({
        body: z.string().trim().min(1).max(320),
        delay_seconds: z.number().int().min(0).max(3600).default(60),
      })
      .strict()
      .nullable()
      .meta({
        description:
          'An SMS for a caller nobody answered (no answer, busy, failed, or hung up while ringing), sent `delay_seconds` after ' +
          'the call unless the client called again or was called back meanwhile. It goes out like any send: not to a number ' +
          'that opted out, and held through quiet hours. Default null: none.',
      }),
  })
  .meta({ id: 'BusinessSettings' });

export function businessSettingsRoutes({ orm }: AppDeps) {
  const responses = { 200: { description: 'The business\'s inbox settings', schema: settingsSchema }, ...errorResponses };
  return [
    route({
      method: 'get', path: '/businesses/{business_id}/settings', tag: 'businesses', summary: 'Get the business\'s inbox settings', access: 'authenticated',
      params: z.object({ business_id: textId }),
      responses,
      handler: async (ctx, { params, principal }) => {
        const business = await accessibleBusiness(orm.em.fork() as EntityManager, principal!, params.business_id);
        ctx.body = business.inboxSettings();
      },
    }),
    route({
      method: 'patch', path: '/businesses/{business_id}/settings', tag: 'businesses', summary: 'Change the business\'s inbox settings', access: 'authenticated',
      description:
        'Changes the fields given. Each conversation takes up a new auto-resolve period at its next status change, or ' +
        'when the period it is waiting out runs out; quiet hours apply to messages from their next check on.',
      params: z.object({ business_id: textId }),
      body: settingsSchema.partial().strict(),
      responses,
      handler: async (ctx, { params, body, principal }) => {
        const em = orm.em.fork() as EntityManager;
        const business = await accessibleBusiness(em, principal!, params.business_id);
        business.changeInboxSettings(body);
        await em.flush();
        ctx.body = business.inboxSettings();
      },
    }),
  ];
}
