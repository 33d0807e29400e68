import { quietHoursEnd } from '../../db/quiet-hours';

const NIGHT = { start: '21:00', end: '08:00' };

describe('quietHoursEnd', () => {
  test('inside a window that wraps midnight: the end is the next morning, local time', () => {
    // 22:30 in New York (EST, UTC-5) on 2026-01-15 → 08:00 the next day = 13:00Z.
    expect(quietHoursEnd(new Date('2026-01-16T03:30:00Z'), 'America/New_York', NIGHT)?.toISOString()).toBe('2026-01-16T13:00:00.000Z');
    // 02:00 local the same night → the same morning.
    expect(quietHoursEnd(new Date('2026-01-16T07:00:00Z'), 'America/New_York', NIGHT)?.toISOString()).toBe('2026-01-16T13:00:00.000Z');
  });

  test('outside the window, and at its end exactly, there is nothing to wait for', () => {
    expect(quietHoursEnd(new Date('2026-01-15T17:00:00Z'), 'America/New_York', NIGHT)).toBeNull();
    expect(quietHoursEnd(new Date('2026-01-16T13:00:00Z'), 'America/New_York', NIGHT)).toBeNull();
    expect(quietHoursEnd(new Date('2026-01-16T01:59:00Z'), 'America/New_York', NIGHT)).toBeNull();
  });

  test('the same instant is quiet in one zone and not in another', () => {
    const at = new Date('2026-01-16T03:30:00Z');
    expect(quietHoursEnd(at, 'America/New_York', NIGHT)).not.toBeNull();
    expect(quietHoursEnd(at, 'America/Los_Angeles', NIGHT)).toBeNull(); // 19:30 there
  });

  test('across a DST change the end keeps its wall-clock time', () => {
    // The night of 2026-03-07 → 08: New York moves from UTC-5 to UTC-4 at 02:00.
    expect(quietHoursEnd(new Date('2026-03-08T04:00:00Z'), 'America/New_York', NIGHT)?.toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });

  test('a window within one day, and an empty one', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(quietHoursEnd(new Date('2026-06-01T12:15:00Z'), 'UTC', lunch)?.toISOString()).toBe('2026-06-01T13:30:00.000Z');
    expect(quietHoursEnd(new Date('2026-06-01T13:30:00Z'), 'UTC', lunch)).toBeNull();
    expect(quietHoursEnd(new Date('2026-06-01T12:15:00Z'), 'UTC', { start: '09:00', end: '09:00' })).toBeNull();
  });
});
