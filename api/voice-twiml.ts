import twilio from 'twilio';
import type { InboundCallRoute, StaffCallRoute } from '../db/voice-calls';

const { VoiceResponse } = twilio.twiml;

/** How long staff browsers ring before the caller is offered voicemail. */
export const RING_SECONDS = 20;
const LONGEST_VOICEMAIL_SECONDS = 120;
const LEG_EVENTS: ('initiated' | 'ringing' | 'answered' | 'completed')[] = ['initiated', 'ringing', 'answered', 'completed'];

/** Where Twilio reaches us for a call, under PUBLIC_BASE_URL. */
export interface VoiceUrls {
  twiml(step?: 'dial-ended' | 'voicemail-ended'): string;
  status: string;
}

export function voiceUrls(publicBaseUrl: string): VoiceUrls {
  return {
    twiml: (step) => `${publicBaseUrl}/voice-calls/twiml${step ? `?step=${step}` : ''}`,
    status: `${publicBaseUrl}/twilio/voice/status`,
  };
}

const recording = (on: boolean, urls: VoiceUrls) =>
  on ? { record: 'record-from-answer-dual' as const, recordingStatusCallback: urls.status, recordingStatusCallbackEvent: ['completed' as const] } : {};

/** A client calling a location: every active staff browser there rings at once, then voicemail. */
export function ringStaffTwiml(route: InboundCallRoute, urls: VoiceUrls): string {
  if (route.staffIdentities.length === 0) return voicemailTwiml(route, urls);
  const response = new VoiceResponse();
  const dial = response.dial({ timeout: RING_SECONDS, answerOnBridge: true, action: urls.twiml('dial-ended'), method: 'POST', ...recording(route.recordCalls, urls) });
  for (const identity of route.staffIdentities) {
    dial.client({ statusCallback: urls.status, statusCallbackEvent: LEG_EVENTS, statusCallbackMethod: 'POST' }, identity);
  }
  return response.toString();
}

/** Nobody picked up: the caller may leave a message. */
export function voicemailTwiml(route: Pick<InboundCallRoute, 'businessName' | 'locationName'>, urls: VoiceUrls): string {
  const response = new VoiceResponse();
  response.say(`Thank you for calling ${route.businessName}, ${route.locationName}. We can't take your call right now. Please leave a message after the tone.`);
  response.record({
    maxLength: LONGEST_VOICEMAIL_SECONDS,
    playBeep: true,
    action: urls.twiml('voicemail-ended'),
    method: 'POST',
    recordingStatusCallback: urls.status,
    recordingStatusCallbackEvent: ['completed'],
  });
  return response.toString();
}

export function hangUpTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

/** A staff member's browser calling a client, shown the location's number. */
export function dialClientTwiml(route: StaffCallRoute, to: string, urls: VoiceUrls): string {
  const response = new VoiceResponse();
  const dial = response.dial({ callerId: route.callerId, answerOnBridge: true, ...recording(route.recordCalls, urls) });
  dial.number({ statusCallback: urls.status, statusCallbackEvent: LEG_EVENTS, statusCallbackMethod: 'POST' }, to);
  return response.toString();
}

/** A last sentence (a goodbye, or why we cannot put the call through), then the end of the call. */
export function sayThenHangUpTwiml(sentence: string): string {
  const response = new VoiceResponse();
  response.say(sentence);
  response.hangup();
  return response.toString();
}
