/** The GSM 03.38 basic set; anything outside it (and its extension table) makes a message UCS-2. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** Extension characters: each takes two septets. */
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/** How many SMS segments a body is sent as (what carriers rate-limit and bill by). */
export function smsSegments(body: string): number {
  const chars = [...body];
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENDED.has(c));
  if (gsm) {
    const septets = chars.reduce((n, c) => n + (GSM_EXTENDED.has(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  // UCS-2 counts UTF-16 code units: a character outside the BMP (most emoji) takes two.
  const units = body.length;
  return units <= 70 ? 1 : Math.ceil(units / 67);
}
