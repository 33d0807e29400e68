import { numberKind } from '../../db/pacing';
import { smsSegments } from '../../db/sms-segments';

describe('smsSegments', () => {
  test('GSM-7: 160 characters in one segment, 153 per segment beyond', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('a'.repeat(306))).toBe(2);
    expect(smsSegments('a'.repeat(307))).toBe(3);
  });

  test('extension characters take two septets', () => {
    expect(smsSegments('€'.repeat(80))).toBe(1);
    expect(smsSegments('€'.repeat(81))).toBe(2);
  });

  test('anything outside GSM-7 makes it UCS-2: 70, then 67 per segment; emoji count twice', () => {
    expect(smsSegments('ł'.repeat(70))).toBe(1);
    expect(smsSegments('ł'.repeat(71))).toBe(2);
    expect(smsSegments('😀'.repeat(35))).toBe(1);
    expect(smsSegments('😀'.repeat(36))).toBe(2);
  });
});

describe('numberKind', () => {
  test('tells long codes, toll-free numbers and short codes apart', () => {
    expect(numberKind('+14155550100')).toBe('longCode');
    expect(numberKind('+18885550100')).toBe('tollFree');
    expect(numberKind('12345')).toBe('shortCode');
  });
});
