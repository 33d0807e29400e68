import { applyCallEvent, callSummary, newCallLog, staffIdOfParty, type CallEvent, type CallLog } from '../../db/call-log';
import type { Direction } from '../../db/message-status';

const at = '2026-11-25T12:00:00.000Z';
const leg = (status: Extract<CallEvent, { kind: 'progress' }>['status'], party: string, durationS?: number): CallEvent => ({ kind: 'progress', leg: 'dial', status, party, durationS, at });
const call = (status: Extract<CallEvent, { kind: 'progress' }>['status']): CallEvent => ({ kind: 'progress', leg: 'call', status, at });

const replay = (direction: Direction, events: CallEvent[]): CallLog => events.reduce((log, event) => applyCallEvent(log, direction, event), newCallLog());

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('a call log', () => {
  const answeredInbound: CallEvent[] = [
    leg('ringing', 'client:staff_7'),
    leg('ringing', 'client:staff_9'),
    leg('in-progress', 'client:staff_9'),
    leg('canceled', 'client:staff_7'),
    leg('completed', 'client:staff_9', 95),
    { kind: 'dial-ended', status: 'completed', durationS: 95, at },
    call('completed'),
  ];

  test('an inbound call answered by one of the ringing staff: completed, who answered, the talk time', () => {
    expect(replay('inbound', answeredInbound)).toMatchObject({
      status: 'completed',
      answered: true,
      answered_by_staff_id: 9,
      answered_by: 'client:staff_9',
      duration_s: 95,
      ended_status: 'completed',
      missed: false,
    });
  });

  test('the same news in every order, and twice, gives the same log', () => {
    const expected = replay('inbound', answeredInbound);
    // The losing leg's cancel carries no party that answered, so every order agrees on who did.
    for (const order of permutations(answeredInbound.slice(2))) {
      expect(replay('inbound', [...answeredInbound.slice(0, 2), ...order, ...order])).toEqual(expected);
    }
  });

  test('an inbound call nobody picks up is missed, with its voicemail; the caller hanging up while it rings is missed too', () => {
    const missed = replay('inbound', [
      leg('ringing', 'client:staff_7'),
      leg('no-answer', 'client:staff_7'),
      { kind: 'dial-ended', status: 'no-answer', at },
      { kind: 'recording', source: 'voicemail', url: 'https://example.com/RE1', durationS: 14, at },
      call('completed'),
    ]);
    expect(missed).toMatchObject({ status: 'no-answer', answered: false, missed: true, voicemail_url: 'https://example.com/RE1', duration_s: null });
    expect(callSummary('inbound', missed)).toBe('Missed call · voicemail 0:14');

    const gaveUp = replay('inbound', [leg('ringing', 'client:staff_7'), leg('canceled', 'client:staff_7'), call('canceled')]);
    expect(gaveUp).toMatchObject({ status: 'canceled', missed: true });
    expect(callSummary('inbound', gaveUp)).toBe('Missed call');
  });

  test('an outbound call takes its outcome from the client\'s leg; it is never missed', () => {
    const busy = replay('outbound', [leg('ringing', '+15551234567'), leg('busy', '+15551234567'), call('completed')]);
    expect(busy).toMatchObject({ status: 'busy', answered: false, missed: false });
    expect(callSummary('outbound', busy)).toBe('Outgoing call · busy');
    const talked = replay('outbound', [call('completed'), leg('completed', '+15551234567', 61)]);
    expect(talked).toMatchObject({ status: 'completed', answered: true, duration_s: 61 });
    expect(callSummary('outbound', talked)).toBe('Outgoing call · 1:01');
  });

  test('a call still ringing, or answered and still going', () => {
    expect(replay('inbound', [leg('ringing', 'client:staff_7')])).toMatchObject({ status: 'ringing', missed: false });
    expect(replay('inbound', [leg('in-progress', 'client:staff_7')])).toMatchObject({ status: 'in-progress', answered_by_staff_id: 7 });
  });

  test('staff ids come only from browser identities', () => {
    expect(staffIdOfParty('client:staff_12')).toBe(12);
    expect(staffIdOfParty('staff_12')).toBe(12);
    expect(staffIdOfParty('+15551234567')).toBeNull();
    expect(staffIdOfParty('client:staff_x')).toBeNull();
  });
});
