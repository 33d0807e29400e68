import { formToRecord } from '../body';
import { purchasePlanFor } from '../magic';
import type { Reply } from '../reply';
import type { SandboxLog, SandboxState } from '../state';
import { containsPattern, searchNumbers, toAvailableResource, type SearchQuery } from './available';
import { errors } from './errors';
import { DEFAULT_NUMBER_CONFIG, parseConfigChanges } from './number-config';
import {
  AREAS,
  capabilitiesOf,
  friendlyNameOf,
  isAreaCode,
  isCountry,
  numberType,
  TOLL_FREE_AREA_CODES,
  type Country,
} from './numbering';
import { pageOf } from './page';
import { newPhoneNumberSid, toPhoneNumberResource, type SandboxPhoneNumber } from './phone-number';

export interface PhoneNumbersDeps {
  state: SandboxState;
  log: SandboxLog;
}

export type AvailableKind = 'Local' | 'TollFree';

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 50;

function parseBoolean(value: string | null): boolean | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return 'invalid';
}

/** Twilio's PhoneNumber list filter: a partial number where '*' stands for any digit. */
function numberFilter(pattern: string): RegExp {
  const source = Array.from(pattern, (ch) => (ch === '*' ? '\\d' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(source);
}

/** Which country an area code given to a purchase belongs to (US unless it is a known Canadian one). */
function countryOfAreaCode(areaCode: string): Country {
  return AREAS.find((a) => a.areaCode === areaCode)?.country ?? 'US';
}

/** AvailablePhoneNumbers (search) and IncomingPhoneNumbers (purchase, fetch, update, release, list). */
export class TwilioPhoneNumbers {
  constructor(private readonly deps: PhoneNumbersDeps) {}

  /** GET .../AvailablePhoneNumbers/{Country}/{Local|TollFree}.json */
  search(countryCode: string, kind: AvailableKind, query: URLSearchParams, path: string): Reply {
    const country = countryCode.toUpperCase();
    if (!isCountry(country)) return { status: 404, body: errors.notFound(path) };

    const filters = new URLSearchParams();
    const search: SearchQuery = { country, type: kind === 'TollFree' ? 'toll-free' : 'local', limit: DEFAULT_PAGE_SIZE };
    const areaCode = query.get('AreaCode')?.trim() ?? '';
    if (areaCode !== '') {
      if (!isAreaCode(areaCode)) return { status: 400, body: errors.areaCodeInvalid(areaCode) };
      search.areaCode = areaCode;
      filters.set('AreaCode', areaCode);
    }
    const contains = query.get('Contains')?.trim() ?? '';
    if (contains !== '') {
      const pattern = containsPattern(contains);
      if (pattern === undefined) return { status: 400, body: errors.invalidParameter('Contains') };
      search.pattern = pattern;
      filters.set('Contains', contains);
    }
    for (const [param, key] of [
      ['SmsEnabled', 'smsEnabled'],
      ['MmsEnabled', 'mmsEnabled'],
      ['VoiceEnabled', 'voiceEnabled'],
    ] as const) {
      const value = parseBoolean(query.get(param));
      if (value === 'invalid') return { status: 400, body: errors.invalidParameter(param) };
      if (value === undefined) continue;
      search[key] = value;
      filters.set(param, String(value));
    }
    const pageSizeRaw = query.get('PageSize') ?? '';
    if (pageSizeRaw !== '') {
      if (!/^\d+$/.test(pageSizeRaw) || Number(pageSizeRaw) < 1) return { status: 400, body: errors.invalidParameter('PageSize') };
      search.limit = Math.min(Number(pageSizeRaw), MAX_PAGE_SIZE);
    }
    filters.set('PageSize', String(search.limit));

    const found = searchNumbers(search, (n) => this.held(n));
    const uri = `${path}?${filters.toString()}`;
    return {
      status: 200,
      body: {
        available_phone_numbers: found.map(toAvailableResource),
        end: Math.max(0, found.length - 1),
        first_page_uri: uri,
        next_page_uri: null,
        page: 0,
        page_size: search.limit,
        previous_page_uri: null,
        start: 0,
        uri,
      },
    };
  }

  /** POST .../IncomingPhoneNumbers.json: buys PhoneNumber, or the first free number in AreaCode. */
  create(accountSid: string, form: URLSearchParams): Reply {
    const config = parseConfigChanges(form);
    if (!config.ok) return { status: 400, body: config.error };

    const requested = (form.get('PhoneNumber') ?? '').trim();
    const areaCode = (form.get('AreaCode') ?? '').trim();
    let phoneNumber: string;
    if (requested !== '') {
      const plan = purchasePlanFor(requested);
      if (plan.kind === 'invalid') return { status: 400, body: errors.phoneNumberInvalid(requested) };
      if (plan.kind === 'unavailable' || this.held(requested)) return { status: 400, body: errors.phoneNumberUnavailable(requested) };
      phoneNumber = requested;
    } else if (areaCode !== '') {
      if (!isAreaCode(areaCode)) return { status: 400, body: errors.areaCodeInvalid(areaCode) };
      const [first] = searchNumbers(
        {
          country: countryOfAreaCode(areaCode),
          type: TOLL_FREE_AREA_CODES.includes(areaCode) ? 'toll-free' : 'local',
          areaCode,
          limit: 1,
        },
        (n) => this.held(n),
      );
      if (!first) return { status: 400, body: errors.noNumbersInAreaCode(areaCode) };
      phoneNumber = first.phoneNumber;
    } else {
      return { status: 400, body: errors.phoneNumberOrAreaCodeRequired() };
    }

    const now = new Date();
    const record: SandboxPhoneNumber = {
      sid: newPhoneNumberSid(),
      accountSid,
      phoneNumber,
      type: numberType(phoneNumber),
      capabilities: capabilitiesOf(phoneNumber),
      ...DEFAULT_NUMBER_CONFIG,
      friendlyName: friendlyNameOf(phoneNumber),
      ...config.changes,
      dateCreated: now,
      dateUpdated: now,
      released: false,
      releasedAt: null,
      params: formToRecord(form),
    };
    this.deps.state.phoneNumbers.push(record);
    this.deps.log({ event: 'number.purchased', sid: record.sid, phoneNumber });
    return { status: 201, body: toPhoneNumberResource(record) };
  }

  /** GET .../IncomingPhoneNumbers/{sid}.json */
  fetch(sid: string, path: string): Reply {
    const record = this.deps.state.findPhoneNumber(sid);
    if (!record) return { status: 404, body: errors.notFound(path) };
    return { status: 200, body: toPhoneNumberResource(record) };
  }

  /** POST .../IncomingPhoneNumbers/{sid}.json: changes the name and webhooks present in the request. */
  update(accountSid: string, sid: string, form: URLSearchParams, path: string): Reply {
    const record = this.deps.state.findPhoneNumber(sid);
    if (!record) return { status: 404, body: errors.notFound(path) };
    const target = form.get('AccountSid');
    if (target !== null && target !== accountSid) return { status: 400, body: errors.invalidParameter('AccountSid') };
    const config = parseConfigChanges(form);
    if (!config.ok) return { status: 400, body: config.error };
    Object.assign(record, config.changes, { dateUpdated: new Date() });
    this.deps.log({ event: 'number.updated', sid, changed: Object.keys(config.changes) });
    return { status: 200, body: toPhoneNumberResource(record) };
  }

  /** DELETE .../IncomingPhoneNumbers/{sid}.json: releases the number (204); the sandbox keeps it, flagged. */
  release(sid: string, path: string): Reply {
    const record = this.deps.state.findPhoneNumber(sid);
    if (!record) return { status: 404, body: errors.notFound(path) };
    const now = new Date();
    record.released = true;
    record.releasedAt = now;
    record.dateUpdated = now;
    this.deps.log({ event: 'number.released', sid, phoneNumber: record.phoneNumber });
    return { status: 204, body: null };
  }

  /** GET .../IncomingPhoneNumbers.json: numbers held now, oldest first; filters PhoneNumber (partial, '*' = any digit) and FriendlyName. */
  list(query: URLSearchParams, basePath: string): Reply {
    const filters = new URLSearchParams();
    let items = this.deps.state.phoneNumbers.filter((n) => !n.released);
    const phoneNumber = query.get('PhoneNumber') ?? '';
    if (phoneNumber !== '') {
      const pattern = numberFilter(phoneNumber);
      items = items.filter((n) => pattern.test(n.phoneNumber));
      filters.set('PhoneNumber', phoneNumber);
    }
    const friendlyName = query.get('FriendlyName') ?? '';
    if (friendlyName !== '') {
      items = items.filter((n) => n.friendlyName === friendlyName);
      filters.set('FriendlyName', friendlyName);
    }
    return pageOf({ items, key: 'incoming_phone_numbers', render: toPhoneNumberResource, query, basePath, filters });
  }

  /** Held now or released earlier: either way nobody can buy it (released numbers are not recycled). */
  private held(phoneNumber: string): boolean {
    return this.deps.state.phoneNumbers.some((n) => n.phoneNumber === phoneNumber);
  }
}
