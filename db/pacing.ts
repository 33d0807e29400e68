import type { EntityManager } from '@mikro-orm/postgresql';

/** Segments per second a sending number may send, by kind of number. */
export interface SmsPacing {
  longCode: number;
  tollFree: number;
  shortCode: number;
}

/** Carriers' usual limits: 1 segment/s on a long code, 3 on toll-free, 100 on a short code. */
export const DEFAULT_SMS_PACING: SmsPacing = { longCode: 1, tollFree: 3, shortCode: 100 };

const TOLL_FREE = /^\+1(800|833|844|855|866|877|888)\d{7}$/;

export function numberKind(from: string): keyof SmsPacing {
  if (/^\d{5,6}$/.test(from)) return 'shortCode';
  return TOLL_FREE.test(from) ? 'tollFree' : 'longCode';
}

/**
 * Reserves the next free sending time of a number for `segments` segments: now when the number is
 * idle, else right after what is already reserved. One statement on the number's row, so
 * concurrent sends from one number queue up in order while other numbers are not touched.
 */
export async function reserveSendSlot(em: EntityManager, from: string, segments: number, pacing: SmsPacing): Promise<Date> {
  const seconds = segments / pacing[numberKind(from)];
  const [row] = await em.execute(
    `insert into sender_pacing as p (from_address, next_free_at) values (?, now() + make_interval(secs => ?))
     on conflict (from_address) do update set next_free_at = greatest(p.next_free_at, now()) + make_interval(secs => ?)
     returning next_free_at - make_interval(secs => ?) as slot`,
    [from, seconds, seconds, seconds],
  );
  return new Date(row.slot);
}
