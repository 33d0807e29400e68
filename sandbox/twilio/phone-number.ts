import { randomBytes } from 'node:crypto';
import { copyParams } from '../body';
import { API_VERSION, rfc2822 } from './message';
import type { Capabilities, NumberType } from './numbering';

export type HttpMethod = 'GET' | 'POST';

/** The settable part of an IncomingPhoneNumber: its name and webhooks (null = not set). */
export interface NumberConfig {
  friendlyName: string;
  smsUrl: string | null;
  smsMethod: HttpMethod;
  smsFallbackUrl: string | null;
  smsFallbackMethod: HttpMethod;
  smsApplicationSid: string | null;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  voiceUrl: string | null;
  voiceMethod: HttpMethod;
  voiceFallbackUrl: string | null;
  voiceFallbackMethod: HttpMethod;
  voiceApplicationSid: string | null;
}

/** A purchased number as the sandbox stores it (what tests assert on). Released numbers are kept, flagged. */
export interface SandboxPhoneNumber extends NumberConfig {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  type: NumberType;
  capabilities: Capabilities;
  dateCreated: Date;
  dateUpdated: Date;
  /** True once released (DELETE); Twilio then no longer shows it. */
  released: boolean;
  releasedAt: Date | null;
  /** The purchase request's form parameters as received (repeated keys become arrays). */
  params: Record<string, string | string[]>;
}

export function newPhoneNumberSid(): string {
  return 'PN' + randomBytes(16).toString('hex');
}

export function phoneNumberPath(accountSid: string, sid: string): string {
  return `/${API_VERSION}/Accounts/${accountSid}/IncomingPhoneNumbers/${sid}.json`;
}

/** The IncomingPhoneNumber resource JSON as Twilio's 2010-04-01 API renders it. */
export function toPhoneNumberResource(n: SandboxPhoneNumber): Record<string, unknown> {
  return {
    account_sid: n.accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    bundle_sid: null,
    capabilities: { ...n.capabilities },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    emergency_status: 'Inactive',
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: n.smsApplicationSid,
    sms_fallback_method: n.smsFallbackMethod,
    sms_fallback_url: n.smsFallbackUrl,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status: 'in-use',
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    subresource_uris: {
      assigned_add_ons: `/${API_VERSION}/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}/AssignedAddOns.json`,
    },
    trunk_sid: null,
    type: n.type,
    uri: phoneNumberPath(n.accountSid, n.sid),
    voice_application_sid: n.voiceApplicationSid,
    voice_caller_id_lookup: false,
    voice_fallback_method: n.voiceFallbackMethod,
    voice_fallback_url: n.voiceFallbackUrl,
    voice_method: n.voiceMethod,
    voice_receive_mode: 'voice',
    voice_url: n.voiceUrl,
  };
}

/**
 * Deep copy, so callers cannot mutate the store. Built by hand rather than with structuredClone,
 * whose Dates belong to Node's main realm and fail `instanceof Date` inside a jest sandbox.
 */
export function phoneNumberSnapshot(n: SandboxPhoneNumber): SandboxPhoneNumber {
  return {
    ...n,
    capabilities: { ...n.capabilities },
    dateCreated: new Date(n.dateCreated),
    dateUpdated: new Date(n.dateUpdated),
    releasedAt: n.releasedAt && new Date(n.releasedAt),
    params: copyParams(n.params),
  };
}
