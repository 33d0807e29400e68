/** GSM 03.38 basic character set (each costs one septet). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table (each costs two septets: escape + char). */
const GSM_EXTENDED = '\f^{}\\[~]|€';

const basic = new Set(Array.from(GSM_BASIC));
const extended = new Set(Array.from(GSM_EXTENDED));

/** Septets needed for `body` in GSM-7, or undefined when it needs UCS-2. */
function gsmSeptets(body: string): number | undefined {
  let septets = 0;
  for (const ch of body) {
    if (basic.has(ch)) septets += 1;
    else if (extended.has(ch)) septets += 2;
    else return undefined;
  }
  return septets;
}

/**
 * Number of SMS segments Twilio would bill: GSM-7 fits 160 septets in one segment or 153 per
 * segment when concatenated; UCS-2 fits 70 UTF-16 units, or 67 per concatenated segment.
 */
export function countSegments(body: string): number {
  if (body.length === 0) return 1;
  const septets = gsmSeptets(body);
  if (septets !== undefined) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = body.length; // UTF-16 code units
  return units <= 70 ? 1 : Math.ceil(units / 67);
}
