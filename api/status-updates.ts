import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Message } from '../db/entities';
import { canSee } from './auth';
import { takeDeliveryReport } from './delivery-reports';
import type { AppDeps } from './deps';
import { NotFound } from './errors';
import { UNSTORABLE } from './middleware/body';
import { route } from './route';
import { bodyId, errorResponses, statusWordOf, timestamp } from './schemas/common';

/** The statuses delivery news can bring, in any case. */
const deliveryStatus = statusWordOf(['QUEUED', 'SENT', 'DELIVERED', 'READ', 'UNDELIVERED', 'FAILED']);

const statusUpdateBody = z
  .object({
    message_id: bodyId.optional(),
    provider_message_id: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
    status: deliveryStatus,
    error_code: z.string().max(16).optional(),
    error_message: z.string().max(1024).refine((v) => !UNSTORABLE.test(v), 'must not contain NUL characters or unpaired surrogates').optional(),
    occurred_at: timestamp.optional(),
  })
  .strict()
  .refine((b) => b.message_id !== undefined || b.provider_message_id !== undefined, {
    message: 'give message_id or provider_message_id (both must then name the same message)',
    path: ['message_id'],
  });

const NAMES = { sms: 'SMS', email: 'email' } as const;

/**
 * `POST /<channel>/status`: delivery news for a message of that channel from a source other than
 * the provider's webhook, kept and applied by the same rules as the provider's own callbacks.
 */
export function statusUpdateRoute({ orm, temporal }: Pick<AppDeps, 'orm' | 'temporal'>, channel: 'sms' | 'email') {
  const name = NAMES[channel];
  return route({
    method: 'post', path: `/${channel}/status`, tag: channel, summary: `Update ${name} delivery status`, access: 'authenticated',
    description:
      `Delivery news for an ${name} from a source other than the provider's webhook, by \`message_id\` or ` +
      '`provider_message_id` (or both, naming the same message). Kept as an event like a callback; the status only moves ' +
      'forward (a late SENT after DELIVERED changes nothing). A final status wakes the running send workflow, which applies ' +
      'it; any other, or one for a send whose workflow has ended, is applied at once. 202 with the status the message has now.',
    body: statusUpdateBody,
    responses: {
      202: {
        description: 'Recorded',
        schema: z.object({ message_id: z.number().int(), event_id: z.number().int().nullable(), status: z.string() }),
      },
      ...errorResponses,
    },
    handler: async (ctx, { body, principal }) => {
      const em = orm.em.fork() as EntityManager;
      const message = await em.findOne(Message, {
        channel,
        ...(body.message_id !== undefined && { id: body.message_id }),
        ...(body.provider_message_id !== undefined && { providerMessageId: body.provider_message_id }),
      });
      if (!message || !canSee(principal!, message.businessId)) throw new NotFound(`no ${name} with that message_id / provider_message_id`);
      const { event } = await takeDeliveryReport(em, temporal, {
        provider: 'api',
        channel,
        messageId: message.id,
        providerMessageId: message.providerMessageId ?? undefined,
        rawStatus: body.status,
        status: body.status,
        errorCode: body.error_code ?? null,
        errorMessage: body.error_message ?? null,
        occurredAt: body.occurred_at ?? new Date(),
        payload: body as unknown as Record<string, unknown>,
      });
      await em.refresh(message);
      ctx.status = 202;
      ctx.body = { message_id: message.id, event_id: event?.id ?? null, status: message.status };
    },
  });
}
