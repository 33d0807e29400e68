/** A daily window, in local wall-clock time, in which a business sends no standard SMS ("21:00"–"08:00" may wrap midnight). */
export interface QuietHours {
  start: string;
  end: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isClockTime(value: string): boolean {
  return HH_MM.test(value);
}

const minutesOf = (clock: string): number => {
  const [, h, m] = HH_MM.exec(clock)!;
  return Number(h) * 60 + Number(m);
};

/** The wall-clock fields of an instant in a time zone. */
function localParts(at: Date, timeZone: string): { year: number; month: number; day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), minutes: get('hour') * 60 + get('minute') };
}

/** The instant a local wall-clock time occurs in a time zone (in a DST gap, the first instant after it). */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
  let guess = wall;
  // Two rounds settle the zone's offset at the guess, DST changes included.
  for (let i = 0; i < 2; i++) {
    const seen = localParts(new Date(guess), timeZone);
    const seenWall = Date.UTC(seen.year, seen.month - 1, seen.day, Math.floor(seen.minutes / 60), seen.minutes % 60);
    guess += wall - seenWall;
  }
  return new Date(guess);
}

/**
 * When the quiet hours around `at` end in `timeZone`, or null when `at` is outside them. A
 * window whose start equals its end is empty.
 */
export function quietHoursEnd(at: Date, timeZone: string, quiet: QuietHours): Date | null {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return null;
  const now = localParts(at, timeZone);
  const inside = start < end ? now.minutes >= start && now.minutes < end : now.minutes >= start || now.minutes < end;
  if (!inside) return null;
  // The end is today unless the window wraps midnight and we are before it.
  const endsTomorrow = start > end && now.minutes >= start;
  const day = new Date(Date.UTC(now.year, now.month - 1, now.day + (endsTomorrow ? 1 : 0)));
  return instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), end, timeZone);
}
