import { z } from 'zod';
import twilio from 'twilio';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Staff } from '../../db/entities';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { Conflict, Forbidden, NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, httpErrorSchema, textId } from '../schemas/common';

/** An hour, Twilio's longest sensible lifetime for a browser's voice token; the client asks again before it ends. */
const TOKEN_TTL_SECONDS = 60 * 60;

export const voiceIdentity = (staffId: number): string => `staff_${staffId}`;

export function voiceCallRoutes({ orm, config }: AppDeps) {
  return [
    route({
      method: 'get', path: '/voice-calls/token', tag: 'voice-calls', summary: 'Get Token', access: 'authenticated',
      description:
        'A Twilio Access Token with a Voice grant for a staff member\'s browser: identity `staff_<id>`, outgoing calls through ' +
        'the TwiML app, incoming calls allowed, valid for an hour. Only for an active staff member of that business; a staff ' +
        'session gets only its own.',
      query: z.object({ business_id: textId, staff_id: textId }),
      responses: {
        200: {
          description: 'The token',
          schema: z.object({ token: z.string(), identity: z.string(), expires_at: z.string().meta({ format: 'date-time' }) }).meta({ id: 'VoiceToken' }),
        },
        409: { description: 'The staff member is inactive, or voice calling is not configured', schema: httpErrorSchema },
        ...errorResponses,
      },
      handler: async (ctx, { query, principal }) => {
        const em = orm.em.fork() as EntityManager;
        await accessibleBusiness(em, principal!, query.business_id);
        const staff = await em.findOne(Staff, { id: query.staff_id, businessId: query.business_id });
        if (!staff) throw new NotFound(`staff ${query.staff_id} not found`);
        if (principal!.kind === 'business' && principal!.staffId && principal!.staffId !== staff.id) {
          throw new Forbidden('A staff session may get a token only for its own staff member');
        }
        if (!staff.isActive) throw new Conflict(`staff ${staff.id} is inactive`);
        const { accessTokenKey, twimlAppSid, accountSid } = config.twilio;
        if (!accessTokenKey || !twimlAppSid) {
          throw new Conflict('Voice calling is not configured: set TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET and TWILIO_TWIML_APP_SID');
        }
        const identity = voiceIdentity(staff.id);
        const token = new twilio.jwt.AccessToken(accountSid, accessTokenKey.sid, accessTokenKey.secret, { identity, ttl: TOKEN_TTL_SECONDS });
        token.addGrant(new twilio.jwt.AccessToken.VoiceGrant({ outgoingApplicationSid: twimlAppSid, incomingAllow: true }));
        const jwt = token.toJwt();
        const { exp } = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { exp: number };
        ctx.body = { token: jwt, identity, expires_at: new Date(exp * 1000).toISOString() };
      },
    }),
  ];
}
