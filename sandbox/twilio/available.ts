import { MAGIC_AREA_CODE_NONE_AVAILABLE } from '../magic';
import {
  AREAS,
  areaFor,
  capabilitiesOf,
  friendlyNameOf,
  hash32,
  TOLL_FREE_AREA_CODES,
  type Area,
  type Capabilities,
  type Country,
  type NumberType,
} from './numbering';

export interface SearchQuery {
  country: Country;
  type: NumberType;
  /** Three digits; already validated. */
  areaCode?: string;
  /** Twilio's Contains pattern with letters already mapped to digits: [0-9*]+. */
  pattern?: string;
  smsEnabled?: boolean;
  mmsEnabled?: boolean;
  voiceEnabled?: boolean;
  limit: number;
}

export interface AvailableNumber {
  phoneNumber: string;
  country: Country;
  type: NumberType;
  area: Area | undefined;
  capabilities: Capabilities;
}

const KEYPAD: Record<string, string> = Object.fromEntries(
  ['abc', 'def', 'ghi', 'jkl', 'mno', 'pqrs', 'tuv', 'wxyz'].flatMap((letters, i) =>
    Array.from(letters, (letter) => [letter, String(i + 2)] as const),
  ),
);

/** Twilio's Contains value as digits and '*' (letters map to keypad digits); undefined when malformed. */
export function containsPattern(value: string): string | undefined {
  if (!/^[0-9a-zA-Z*]+$/.test(value)) return undefined;
  return Array.from(value.toLowerCase(), (ch) => KEYPAD[ch] ?? ch).join('');
}

/** Small seeded PRNG (mulberry32): the same search gives the same numbers. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function areaCodesFor(q: SearchQuery): string[] {
  const tollFree = q.type === 'toll-free';
  if (q.areaCode === undefined) {
    return tollFree ? [...TOLL_FREE_AREA_CODES] : AREAS.filter((a) => a.country === q.country).map((a) => a.areaCode);
  }
  if (q.areaCode === MAGIC_AREA_CODE_NONE_AVAILABLE) return [];
  return TOLL_FREE_AREA_CODES.includes(q.areaCode) === tollFree ? [q.areaCode] : [];
}

/** Like Twilio, a capability filter only ever narrows to numbers that have it: `false` filters nothing. */
function wanted(capabilities: Capabilities, q: SearchQuery): boolean {
  return (!q.smsEnabled || capabilities.sms) && (!q.mmsEnabled || capabilities.mms) && (!q.voiceEnabled || capabilities.voice);
}

/**
 * Plausible numbers nobody holds, generated from a seed derived from the query: NPA-NXX-XXXX with
 * NXX in 200-999 (never 555, never N11). A Contains pattern is laid over the digits of the number
 * (country code included) at a random place, so matches come quickly. `isTaken` numbers are skipped.
 */
export function searchNumbers(q: SearchQuery, isTaken: (e164: string) => boolean): AvailableNumber[] {
  const codes = areaCodesFor(q);
  const pattern = q.pattern ?? '';
  if (codes.length === 0 || pattern.length > 11) return [];
  const random = seeded(hash32([q.country, q.type, codes.join(','), pattern].join('|')));
  const digits = (count: number): string => Array.from({ length: count }, () => String(Math.floor(random() * 10))).join('');

  const found: AvailableNumber[] = [];
  const seen = new Set<string>();
  const attempts = 5_000 + q.limit * 20;
  for (let i = 0; i < attempts && found.length < q.limit; i++) {
    const npa = codes[i % codes.length];
    const chars = Array.from(`1${npa}${2 + Math.floor(random() * 8)}${digits(6)}`);
    if (pattern) {
      const offset = Math.floor(random() * (chars.length - pattern.length + 1));
      Array.from(pattern).forEach((ch, j) => {
        if (ch !== '*') chars[offset + j] = ch;
      });
    }
    const full = chars.join('');
    const exchange = full.slice(4, 7);
    if (full.slice(0, 4) !== `1${npa}` || exchange[0] < '2' || exchange === '555' || exchange.slice(1) === '11') continue;

    const phoneNumber = `+${full}`;
    if (seen.has(phoneNumber) || isTaken(phoneNumber)) continue;
    seen.add(phoneNumber);
    const capabilities = capabilitiesOf(phoneNumber);
    if (!wanted(capabilities, q)) continue;
    found.push({ phoneNumber, country: q.country, type: q.type, area: areaFor(npa, q.country), capabilities });
  }
  return found;
}

/** One AvailablePhoneNumber as Twilio's 2010-04-01 API renders it. */
export function toAvailableResource(n: AvailableNumber): Record<string, unknown> {
  return {
    address_requirements: 'none',
    beta: false,
    capabilities: { MMS: n.capabilities.mms, SMS: n.capabilities.sms, voice: n.capabilities.voice, fax: n.capabilities.fax },
    friendly_name: friendlyNameOf(n.phoneNumber),
    iso_country: n.country,
    lata: null,
    latitude: n.area?.latitude ?? null,
    locality: n.area?.locality ?? null,
    longitude: n.area?.longitude ?? null,
    phone_number: n.phoneNumber,
    postal_code: n.area?.postalCode ?? null,
    rate_center: n.area ? n.area.locality.toUpperCase() : null,
    region: n.area?.region ?? null,
  };
}
