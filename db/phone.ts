import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** E.164 form of a phone number, or undefined when it cannot be read as a possible number. */
export function normalizePhone(input: string, defaultCountry: CountryCode = 'US'): string | undefined {
  const trimmed = input.trim();
  if (!/^[+\d\s().-]{3,32}$/.test(trimmed)) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry);
  if (!parsed || !parsed.isPossible()) return undefined;
  return parsed.number;
}
