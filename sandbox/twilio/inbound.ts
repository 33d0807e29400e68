import { newMessageSid, API_VERSION } from './message';
import { postSignedForm, twilioSignature } from './signature';
import type { TwilioCredentials } from './auth';
import type { SandboxState } from '../state';

/** A text a client's phone sends to one of the business's numbers. */
export interface InboundSms {
  from: string;
  to: string;
  body: string;
  mediaUrls?: string[];
  /** Where to post it; by default the SmsUrl configured on the `to` number bought here. */
  url?: string;
  /** A MessageSid to use again, to replay a message the way Twilio retries a webhook. */
  sid?: string;
}

export interface InboundDelivery {
  sid: string;
  url: string;
  params: Record<string, string>;
  status: number | 'error';
  responseBody: string;
}

/** The form Twilio posts to a number's SmsUrl for an incoming message. */
export function inboundParams(accountSid: string, sid: string, sms: InboundSms): Record<string, string> {
  const media = sms.mediaUrls ?? [];
  const params: Record<string, string> = {
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    Body: sms.body,
    From: sms.from,
    MessageSid: sid,
    NumMedia: String(media.length),
    NumSegments: '1',
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: 'received',
    To: sms.to,
  };
  media.forEach((url, i) => {
    params[`MediaUrl${i}`] = url;
    params[`MediaContentType${i}`] = 'image/jpeg';
  });
  return params;
}

/** Posts a signed incoming-message webhook, as Twilio does when a client texts a business. */
export async function deliverInboundSms(creds: TwilioCredentials, state: SandboxState, sms: InboundSms): Promise<InboundDelivery> {
  const url = sms.url ?? state.phoneNumbers.find((n) => n.phoneNumber === sms.to && !n.released)?.smsUrl;
  if (!url) throw new Error(`no SmsUrl for ${sms.to}: buy the number here with an SmsUrl, or give url`);
  const sid = sms.sid ?? newMessageSid();
  const params = inboundParams(creds.accountSid, sid, sms);
  try {
    const response = await postSignedForm(url, params, twilioSignature(creds.authToken, url, params), AbortSignal.timeout(15_000));
    return { sid, url, params, status: response.status, responseBody: await response.text() };
  } catch (error) {
    return { sid, url, params, status: 'error', responseBody: String(error) };
  }
}
