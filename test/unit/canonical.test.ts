import { fingerprint } from '../../api/canonical';

describe('fingerprint', () => {
  test('the same content in a different key order has the same fingerprint', () => {
    const first = { business_id: 1, body: 'Hi', recipients: [{ to: '+15551234567', client_id: 2 }] };
    const reordered = { recipients: [{ client_id: 2, to: '+15551234567' }], body: 'Hi', business_id: 1 };

    expect(fingerprint(reordered)).toBe(fingerprint(first));
  });

  test('a field that is undefined counts as absent', () => {
    const withUndefined = { business_id: 1, body: 'Hi', send_at: undefined, nested: { staff_id: undefined, location_id: 3 } };
    const without = { business_id: 1, body: 'Hi', nested: { location_id: 3 } };

    expect(fingerprint(withUndefined)).toBe(fingerprint(without));
  });

  test('a null field is not the same as an absent one', () => {
    expect(fingerprint({ business_id: 1, staff_id: null })).not.toBe(fingerprint({ business_id: 1 }));
  });

  test('the same instant has the same fingerprint however the Date was made, and equals its ISO string', () => {
    const fromUtc = new Date('2030-01-02T03:04:05Z');
    const fromOffset = new Date('2030-01-01T22:04:05-05:00');
    const fromMillis = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));

    expect(fingerprint({ send_at: fromOffset })).toBe(fingerprint({ send_at: fromUtc }));
    expect(fingerprint({ send_at: fromMillis })).toBe(fingerprint({ send_at: fromUtc }));
    expect(fingerprint({ send_at: fromUtc })).toBe(fingerprint({ send_at: '2030-01-02T03:04:05.000Z' }));
  });

  test('different instants have different fingerprints', () => {
    expect(fingerprint({ send_at: new Date('2030-01-02T03:04:05Z') })).not.toBe(fingerprint({ send_at: new Date('2030-01-02T03:04:06Z') }));
  });

  test('the order of an array matters', () => {
    expect(fingerprint({ to: ['+15550000001', '+15550000002'] })).not.toBe(fingerprint({ to: ['+15550000002', '+15550000001'] }));
  });

  test('different values have different fingerprints', () => {
    expect(fingerprint({ body: 'Hi' })).not.toBe(fingerprint({ body: 'Hi!' }));
    expect(fingerprint({ id: 1 })).not.toBe(fingerprint({ id: '1' }));
    expect(fingerprint({ a: { b: 1 } })).not.toBe(fingerprint({ a: { b: 2 } }));
  });

  test('a fingerprint is a sha-256 hex digest', () => {
    expect(fingerprint({ body: 'Hi' })).toMatch(/^[0-9a-f]{64}$/);
  });
});
