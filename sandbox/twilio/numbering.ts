/** North American numbering helpers for the phone-number emulation (US and CA only). */

export type Country = 'US' | 'CA';
export type NumberType = 'local' | 'toll-free';

export interface Capabilities {
  voice: boolean;
  sms: boolean;
  mms: boolean;
  fax: boolean;
}

export interface Area {
  areaCode: string;
  country: Country;
  locality: string;
  region: string;
  postalCode: string;
  latitude: string;
  longitude: string;
}

const area = (areaCode: string, country: Country, locality: string, region: string, postalCode: string, lat: string, long: string): Area => ({
  areaCode,
  country,
  locality,
  region,
  postalCode,
  latitude: lat,
  longitude: long,
});

/** A few well-known areas, so search results carry a plausible locality; any other NPA works too. */
export const AREAS: readonly Area[] = [
  area('415', 'US', 'San Francisco', 'CA', '94103', '37.774900', '-122.419400'),
  area('212', 'US', 'New York', 'NY', '10001', '40.712800', '-74.006000'),
  area('312', 'US', 'Chicago', 'IL', '60601', '41.878100', '-87.629800'),
  area('617', 'US', 'Boston', 'MA', '02108', '42.360100', '-71.058900'),
  area('206', 'US', 'Seattle', 'WA', '98101', '47.606200', '-122.332100'),
  area('512', 'US', 'Austin', 'TX', '78701', '30.267200', '-97.743100'),
  area('303', 'US', 'Denver', 'CO', '80202', '39.739200', '-104.990300'),
  area('305', 'US', 'Miami', 'FL', '33101', '25.761700', '-80.191800'),
  area('213', 'US', 'Los Angeles', 'CA', '90012', '34.052200', '-118.243700'),
  area('404', 'US', 'Atlanta', 'GA', '30303', '33.749000', '-84.388000'),
  area('416', 'CA', 'Toronto', 'ON', 'M5H', '43.653200', '-79.383200'),
  area('604', 'CA', 'Vancouver', 'BC', 'V6B', '49.282700', '-123.120700'),
  area('514', 'CA', 'Montreal', 'QC', 'H2Y', '45.501700', '-73.567300'),
];

export const TOLL_FREE_AREA_CODES: readonly string[] = ['800', '833', '844', '855', '866', '877', '888'];

export const SUPPORTED_COUNTRIES: readonly Country[] = ['US', 'CA'];

export function isCountry(value: string): value is Country {
  return (SUPPORTED_COUNTRIES as readonly string[]).includes(value);
}

/** A NANP area code (NPA): [2-9]XX and not an N11 service code. */
export function isAreaCode(value: string): boolean {
  return /^[2-9]\d\d$/.test(value) && value.slice(1) !== '11';
}

export function areaFor(areaCode: string, country: Country): Area | undefined {
  return AREAS.find((a) => a.areaCode === areaCode && a.country === country);
}

/** The area code of a +1 number, or undefined for other countries. */
export function nanpAreaCode(e164: string): string | undefined {
  return /^\+1(\d{3})\d{7}$/.exec(e164)?.[1];
}

export function numberType(e164: string): NumberType {
  const npa = nanpAreaCode(e164);
  return npa !== undefined && TOLL_FREE_AREA_CODES.includes(npa) ? 'toll-free' : 'local';
}

/** Twilio's friendly name for a +1 number: "(415) 555-0123"; other numbers stay in E.164. */
export function friendlyNameOf(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

/** 32-bit FNV-1a, for deterministic choices derived from strings. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * What a number can do, derived from the number itself so that search and purchase agree:
 * toll-free numbers do voice and SMS; about one local number in ten is voice-only and one in ten
 * SMS/MMS-only; the rest do everything. No number does fax.
 */
export function capabilitiesOf(e164: string): Capabilities {
  if (numberType(e164) === 'toll-free') return { voice: true, sms: true, mms: false, fax: false };
  const bucket = hash32(e164) % 10;
  if (bucket === 0) return { voice: true, sms: false, mms: false, fax: false };
  if (bucket === 1) return { voice: false, sms: true, mms: true, fax: false };
  return { voice: true, sms: true, mms: true, fax: false };
}
