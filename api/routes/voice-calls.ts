import type { Context } from 'koa';
import { z } from 'zod';
import twilio from 'twilio';
import type { EntityManager } from '@mikro-orm/postgresql';
import { staffIdOfParty } from '../../db/call-log';
import { Staff } from '../../db/entities';
import { normalizePhone } from '../../db/phone';
import { routeInboundCall, routeStaffCall, voiceIdentity } from '../../db/voice-calls';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { Conflict, Forbidden, NotFound } from '../errors';
import { route } from '../route';
import { errorResponses, httpErrorSchema, textId } from '../schemas/common';
import { formFields, readTwilioWebhook, twilioWebhookRefusals } from '../twilio-webhook';
import { passOnCallEvent, startVoiceCall } from '../voice-call-workflows';
import { callEventOf, callStatusCallback, voiceWebhook } from '../voice-webhooks';
import { dialClientTwiml, hangUpTwiml, ringStaffTwiml, sayThenHangUpTwiml, voicemailTwiml, voiceUrls } from '../voice-twiml';

/** An hour, Twilio's longest sensible lifetime for a browser's voice token; the client asks again before it ends. */
const TOKEN_TTL_SECONDS = 60 * 60;

const twiml = (ctx: Context, xml: string) => {
  ctx.type = 'text/xml';
  ctx.body = xml;
};

export function voiceCallRoutes({ orm, temporal, config }: AppDeps) {
  const urls = voiceUrls(config.publicBaseUrl);
  const taskQueue = config.temporal.taskQueue;

  /** Twilio's first request for a call: whom it is for decides what answers. */
  async function answerCall(em: EntityManager, call: z.output<typeof voiceWebhook>): Promise<string> {
    const at = new Date().toISOString();
    const to = call.To ? normalizePhone(call.To) : undefined;
    const staffId = staffIdOfParty(call.From);
    if (staffId !== null) {
      if (!to) return sayThenHangUpTwiml('Sorry, that number cannot be called. Please check it and try again.');
      const staffRoute = await routeStaffCall(em, staffId, to, call.location_id ?? null);
      if (!staffRoute) return sayThenHangUpTwiml('Sorry, your account cannot place calls right now.');
      const { businessId, callerId } = staffRoute;
      await startVoiceCall(temporal, taskQueue, {
        channel: 'voice', direction: 'outbound', providerMessageId: call.CallSid, from: callerId, to, mediaUrls: [], at, businessId, staffId, status: 'QUEUED',
      });
      return dialClientTwiml(staffRoute, to, urls);
    }

    const inboundRoute = to ? await routeInboundCall(em, to) : null;
    if (!to || !inboundRoute) return sayThenHangUpTwiml('Sorry, this number is not in service. Goodbye.');
    const from = normalizePhone(call.From);
    // A caller who hides their number still reaches the staff; there is no client to log the call against.
    if (from) {
      await startVoiceCall(temporal, taskQueue, {
        channel: 'voice', direction: 'inbound', providerMessageId: call.CallSid, from, to, mediaUrls: [], at, businessId: inboundRoute.businessId,
      });
    }
    return ringStaffTwiml(inboundRoute, urls);
  }

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
    route({
      method: 'post', path: '/voice-calls/twiml', tag: 'voice-calls', summary: 'Twilio voice webhook (TwiML)', access: 'provider',
      description:
        'Twilio\'s voice webhook for the business numbers and the TwiML app (form-encoded, `X-Twilio-Signature` checked against ' +
        'PUBLIC_BASE_URL). A staff browser (`From` client:staff_<id>) calling a phone number gets `<Dial callerId>` with the ' +
        'location\'s number (the `location_id` connect parameter, else the client\'s location, else the staff member\'s), each ' +
        'leg reporting to `/twilio/voice/status`; a call to a business number rings every active staff browser of that location ' +
        'at once for 20 s, then offers voicemail (`<Record>`, up to 2 minutes); a number no business has gets a polite `<Say>`. ' +
        'Answered calls are recorded when the business\'s `record_calls` setting is on. Starts workflow `voiceCall` with id ' +
        '`call-<CallSid>`, which logs the call in the client\'s conversation (client found or created). `?step=dial-ended` and ' +
        '`?step=voicemail-ended` are the `<Dial>` and `<Record>` actions.',
      query: z.object({ step: z.enum(['dial-ended', 'voicemail-ended']).optional() }),
      body: formFields,
      bodyKind: 'form',
      responses: {
        200: { description: 'TwiML for the call', contentType: 'text/xml' },
        ...twilioWebhookRefusals('a voice webhook'),
      },
      handler: async (ctx, { query, body }) => {
        const call = readTwilioWebhook(ctx, config, body, voiceWebhook);
        const em = orm.em.fork() as EntityManager;
        const at = new Date().toISOString();
        if (query.step === 'dial-ended') {
          const outcome = call.DialCallStatus === 'answered' ? 'completed' : (call.DialCallStatus ?? 'no-answer');
          await passOnCallEvent(temporal, em, call.CallSid, { kind: 'dial-ended', status: outcome, durationS: call.DialCallDuration ?? null, at });
          const inboundRoute = outcome === 'completed' || !call.To ? null : await routeInboundCall(em, normalizePhone(call.To) ?? call.To);
          return twiml(ctx, inboundRoute ? voicemailTwiml(inboundRoute, urls) : hangUpTwiml());
        }
        if (query.step === 'voicemail-ended') {
          if (call.RecordingUrl) {
            await passOnCallEvent(temporal, em, call.CallSid, { kind: 'recording', source: 'voicemail', url: call.RecordingUrl, durationS: call.RecordingDuration ?? null, at });
          }
          return twiml(ctx, sayThenHangUpTwiml('Thank you. Goodbye.'));
        }
        twiml(ctx, await answerCall(em, call));
      },
    }),
    route({
      method: 'post', path: '/twilio/voice/status', tag: 'twilio', summary: 'Process voice call status updates from Twilio', access: 'provider',
      description:
        'Status and recording callbacks of a call and of its dialled legs (form-encoded, `X-Twilio-Signature` checked against ' +
        'PUBLIC_BASE_URL): `CallSid`, `CallStatus`, `CallDuration`, `ParentCallSid` on a leg, `RecordingUrl` and ' +
        '`RecordingSource` on a recording. Signals workflow `call-<CallSid>` (the parent\'s), which keeps the call\'s single ' +
        'timeline entry up to date: `call.status` (ringing, in-progress, completed, busy, no-answer, failed, canceled), who ' +
        'answered, the talk time, the recording or voicemail URL. News arriving in any order or more than once gives the same ' +
        'entry; news after the workflow has ended is applied directly.',
      body: formFields,
      bodyKind: 'form',
      responses: {
        204: { description: 'Taken in' },
        ...twilioWebhookRefusals('a call status callback'),
      },
      handler: async (ctx, { body }) => {
        const news = callEventOf(readTwilioWebhook(ctx, config, body, callStatusCallback));
        if (news) await passOnCallEvent(temporal, orm.em.fork() as EntityManager, news.callSid, news.event);
        ctx.status = 204;
      },
    }),
  ];
}
