import { isHttpUrl } from '../validate';
import { errors, type TwilioErrorBody } from './errors';
import type { NumberConfig } from './phone-number';

type UrlKey = 'smsUrl' | 'smsFallbackUrl' | 'statusCallback' | 'voiceUrl' | 'voiceFallbackUrl';
type MethodKey = 'smsMethod' | 'smsFallbackMethod' | 'statusCallbackMethod' | 'voiceMethod' | 'voiceFallbackMethod';
type SidKey = 'smsApplicationSid' | 'voiceApplicationSid';

const URL_PARAMS: Record<string, UrlKey> = {
  SmsUrl: 'smsUrl',
  SmsFallbackUrl: 'smsFallbackUrl',
  StatusCallback: 'statusCallback',
  VoiceUrl: 'voiceUrl',
  VoiceFallbackUrl: 'voiceFallbackUrl',
};
const METHOD_PARAMS: Record<string, MethodKey> = {
  SmsMethod: 'smsMethod',
  SmsFallbackMethod: 'smsFallbackMethod',
  StatusCallbackMethod: 'statusCallbackMethod',
  VoiceMethod: 'voiceMethod',
  VoiceFallbackMethod: 'voiceFallbackMethod',
};
const SID_PARAMS: Record<string, SidKey> = {
  SmsApplicationSid: 'smsApplicationSid',
  VoiceApplicationSid: 'voiceApplicationSid',
};
const APPLICATION_SID = /^AP[0-9a-fA-F]{32}$/;
const MAX_FRIENDLY_NAME = 64;

/** A new number's webhooks before the purchase request sets any. */
export const DEFAULT_NUMBER_CONFIG: Omit<NumberConfig, 'friendlyName'> = Object.freeze({
  smsUrl: null,
  smsMethod: 'POST',
  smsFallbackUrl: null,
  smsFallbackMethod: 'POST',
  smsApplicationSid: null,
  statusCallback: null,
  statusCallbackMethod: 'POST',
  voiceUrl: null,
  voiceMethod: 'POST',
  voiceFallbackUrl: null,
  voiceFallbackMethod: 'POST',
  voiceApplicationSid: null,
});

export type ConfigChanges = { ok: true; changes: Partial<NumberConfig> } | { ok: false; error: TwilioErrorBody };

/**
 * The name and webhook settings present in a purchase or update request. Only parameters that are
 * present change; an empty URL or application sid clears it; methods are GET or POST (any case).
 */
export function parseConfigChanges(form: URLSearchParams): ConfigChanges {
  const changes: Partial<NumberConfig> = {};
  const friendlyName = form.get('FriendlyName');
  if (friendlyName !== null) {
    if (friendlyName.length > MAX_FRIENDLY_NAME) return { ok: false, error: errors.invalidParameter('FriendlyName') };
    changes.friendlyName = friendlyName;
  }
  for (const [param, key] of Object.entries(URL_PARAMS)) {
    const value = form.get(param)?.trim();
    if (value === undefined) continue;
    if (value !== '' && !isHttpUrl(value)) return { ok: false, error: errors.invalidUrl(param, value) };
    changes[key] = value || null;
  }
  for (const [param, key] of Object.entries(METHOD_PARAMS)) {
    const value = form.get(param)?.trim().toUpperCase();
    if (value === undefined || value === '') continue;
    if (value !== 'GET' && value !== 'POST') return { ok: false, error: errors.invalidParameter(param) };
    changes[key] = value;
  }
  for (const [param, key] of Object.entries(SID_PARAMS)) {
    const value = form.get(param)?.trim();
    if (value === undefined) continue;
    if (value !== '' && !APPLICATION_SID.test(value)) return { ok: false, error: errors.invalidParameter(param) };
    changes[key] = value || null;
  }
  return { ok: true, changes };
}
