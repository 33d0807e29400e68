import { keywordIntent } from '../../db/consent';

describe('keywordIntent', () => {
  test.each(['STOP', 'stop', ' Stop ', 'StopAll', 'UNSUBSCRIBE', 'cancel', 'End', 'quit', 'revoke', 'optout', 'opt out', 'OPT   OUT', 'stop.'])(
    '%p opts out',
    (body) => expect(keywordIntent(body)).toBe('opt_out'),
  );
  test.each(['START', 'unstop', 'Yes', ' yes '])('%p opts back in', (body) => expect(keywordIntent(body)).toBe('opt_in'));
  test.each(['HELP', 'help', 'Info'])('%p asks for help', (body) => expect(keywordIntent(body)).toBe('help'));
  test.each(['stop by tomorrow?', 'please stop', 'yes please', 'ended', 'optout now', '', null, undefined])('%p is no keyword', (body) =>
    expect(keywordIntent(body)).toBeNull(),
  );
});
