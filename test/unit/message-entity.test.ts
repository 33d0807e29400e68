import { Message } from '../../db/entities';
import { isFinal, isForwardMove, type MessageStatus } from '../../db/message-status';
import { fromTwilioMessageStatus } from '../../db/twilio-status';

/**
 * The delivery order the contract promises, lowest first; statuses in one group are equal in
 * rank (a provider may still report an UNDELIVERED or FAILED message as DELIVERED, never the reverse).
 */
const DELIVERY_ORDER: MessageStatus[][] = [['PENDING'], ['QUEUED'], ['SENT'], ['UNDELIVERED', 'FAILED'], ['DELIVERED'], ['READ']];
const DELIVERY_STATUSES = DELIVERY_ORDER.flat();
const rank = (status: MessageStatus) => DELIVERY_ORDER.findIndex((group) => group.includes(status));

const pairs = DELIVERY_STATUSES.flatMap((from) => DELIVERY_STATUSES.map((to) => ({ from, to })));
const forwardPairs = pairs.filter(({ from, to }) => rank(to) > rank(from));
const notForwardPairs = pairs.filter(({ from, to }) => rank(to) <= rank(from));

const T0 = new Date('2030-01-01T10:00:00Z');
const T1 = new Date('2030-01-01T10:00:01Z');
const T2 = new Date('2030-01-01T10:00:02Z');
const T3 = new Date('2030-01-01T10:00:03Z');

function messageIn(status: MessageStatus): Message {
  const message = new Message();
  message.id = 42;
  message.businessId = 1;
  message.channel = 'sms';
  message.direction = 'outbound';
  message.status = status;
  if (status !== 'PENDING') {
    message.providerMessageId = `SM${'a'.repeat(32)}`;
    message.attempts = 1;
  }
  if (rank(status) >= rank('SENT')) message.sentAt = T0;
  if (rank(status) >= rank('DELIVERED')) message.deliveredAt = T0;
  if (status === 'FAILED' || status === 'UNDELIVERED') {
    message.errorCode = '30003';
    message.errorMessage = 'Unreachable destination handset';
  }
  return message;
}

describe('Message.applyDelivery', () => {
  test.each(forwardPairs)('a move forward from $from to $to applies', ({ from, to }) => {
    const message = messageIn(from);

    const applied = message.applyDelivery({ status: to, at: T1 });

    expect(applied).toBe(true);
    expect(message.status).toBe(to);
  });

  test.each(notForwardPairs)('a repeated or backward move from $from to $to returns false and changes nothing', ({ from, to }) => {
    const message = messageIn(from);
    const before = { ...message };

    const applied = message.applyDelivery({ status: to, at: T1, errorCode: '99999', errorMessage: 'late news' });

    expect(applied).toBe(false);
    expect({ ...message }).toEqual(before);
  });

  test('a late sent after delivered leaves the message DELIVERED', () => {
    const message = messageIn('QUEUED');
    message.applyDelivery({ status: 'SENT', at: T1 });
    message.applyDelivery({ status: 'DELIVERED', at: T2 });

    const applied = message.applyDelivery({ status: 'SENT', at: T3 });

    expect(applied).toBe(false);
    expect(message).toMatchObject({ status: 'DELIVERED', sentAt: T1, deliveredAt: T2 });
  });

  test.each<MessageStatus>(['FAILED', 'UNDELIVERED'])('%s keeps the error code and message it came with', (status) => {
    const message = messageIn('SENT');

    message.applyDelivery({ status, at: T1, errorCode: '30005', errorMessage: 'Unknown destination handset' });

    expect(message).toMatchObject({ status, errorCode: '30005', errorMessage: 'Unknown destination handset' });
  });

  test('a failure without an error code keeps the code recorded earlier', () => {
    const message = messageIn('SENT');
    message.errorCode = '30003';
    message.errorMessage = 'Unreachable destination handset';

    message.applyDelivery({ status: 'UNDELIVERED', at: T1 });

    expect(message).toMatchObject({ status: 'UNDELIVERED', errorCode: '30003', errorMessage: 'Unreachable destination handset' });
  });

  test('a late sent after undelivered keeps the error code', () => {
    const message = messageIn('SENT');
    message.applyDelivery({ status: 'UNDELIVERED', at: T1, errorCode: '30003', errorMessage: 'Unreachable destination handset' });

    message.applyDelivery({ status: 'SENT', at: T2 });

    expect(message).toMatchObject({ status: 'UNDELIVERED', errorCode: '30003', errorMessage: 'Unreachable destination handset' });
  });

  test('delivered after undelivered clears the error code and message', () => {
    const message = messageIn('SENT');
    message.applyDelivery({ status: 'UNDELIVERED', at: T1, errorCode: '30003', errorMessage: 'Unreachable destination handset' });

    const applied = message.applyDelivery({ status: 'DELIVERED', at: T2 });

    expect(applied).toBe(true);
    expect(message).toMatchObject({ status: 'DELIVERED', errorCode: null, errorMessage: null, deliveredAt: T2 });
  });

  test('sent_at and delivered_at are set by the first update that reaches them and never moved again', () => {
    const message = messageIn('QUEUED');

    message.applyDelivery({ status: 'SENT', at: T1 });
    message.applyDelivery({ status: 'DELIVERED', at: T2 });
    message.applyDelivery({ status: 'READ', at: T3 });

    expect(message).toMatchObject({ status: 'READ', sentAt: T1, deliveredAt: T2 });
  });

  test('delivered straight from queued sets sent_at and delivered_at to the same moment', () => {
    const message = messageIn('QUEUED');

    message.applyDelivery({ status: 'DELIVERED', at: T2 });

    expect(message).toMatchObject({ sentAt: T2, deliveredAt: T2 });
  });

  test('queued sets neither sent_at nor delivered_at', () => {
    const message = messageIn('PENDING');

    message.applyDelivery({ status: 'QUEUED', at: T1 });

    expect(message.sentAt ?? null).toBeNull();
    expect(message.deliveredAt ?? null).toBeNull();
  });
});

describe('Message.markAccepted, markFailed and cancel', () => {
  test('markAccepted remembers the provider id, counts an attempt and queues the message', () => {
    const message = messageIn('PENDING');

    message.markAccepted(`SM${'b'.repeat(32)}`, T1);

    expect(message).toMatchObject({ status: 'QUEUED', providerMessageId: `SM${'b'.repeat(32)}`, attempts: 1 });
  });

  test('once the provider took it, its send workflow awaits the final news, also after that news is applied, until it stops', () => {
    const message = messageIn('PENDING');
    expect(message.awaitingDelivery).toBe(false);

    message.markAccepted(`SM${'d'.repeat(32)}`, T1);
    message.applyDelivery({ status: 'DELIVERED', at: T2 });
    const beforeStopping = message.awaitingDelivery;
    message.stopAwaitingDelivery();

    expect(beforeStopping).toBe(true);
    expect(message.awaitingDelivery).toBe(false);
  });

  test('markFailed counts an attempt and records the failure with its code', () => {
    const message = messageIn('PENDING');

    message.markFailed('21211', 'The To number is not a valid phone number', T1);

    expect(message).toMatchObject({ status: 'FAILED', attempts: 1, errorCode: '21211', errorMessage: 'The To number is not a valid phone number' });
  });

  test('every attempt is counted: a failure then an acceptance is two attempts', () => {
    const message = messageIn('PENDING');

    message.markFailed('20429', 'Too many requests', T1);
    message.markAccepted(`SM${'c'.repeat(32)}`, T2);

    expect(message.attempts).toBe(2);
  });

  test('cancel moves a pending message to CANCELED with the reason', () => {
    const message = messageIn('PENDING');

    message.cancel('OPTED_OUT', 'The client opted out of SMS');

    expect(message).toMatchObject({ status: 'CANCELED', errorCode: 'OPTED_OUT', errorMessage: 'The client opted out of SMS' });
  });

  test.each<MessageStatus>(['UNDELIVERED', 'FAILED', 'DELIVERED', 'READ', 'CANCELED'])('cancel on a %s message throws and changes nothing', (status) => {
    const message = messageIn(status);
    const before = { ...message };

    expect(() => message.cancel('OPTED_OUT', 'too late')).toThrow(new RegExp(`${status}.*cannot be canceled`));
    expect({ ...message }).toEqual(before);
  });

  test('a canceled message takes no more delivery news', () => {
    const message = messageIn('PENDING');
    message.cancel('OPTED_OUT', 'The client opted out of SMS');

    const applied = message.applyDelivery({ status: 'DELIVERED', at: T1 });

    expect(applied).toBe(false);
    expect(message.status).toBe('CANCELED');
  });
});

describe('message status rules', () => {
  test.each(pairs)('isForwardMove($from, $to) follows the delivery order', ({ from, to }) => {
    expect(isForwardMove(from, to)).toBe(rank(to) > rank(from));
  });

  test.each<[MessageStatus, boolean]>([
    ['PENDING', false],
    ['SCHEDULED', false],
    ['QUEUED', false],
    ['SENT', false],
    ['UNDELIVERED', true],
    ['FAILED', true],
    ['DELIVERED', true],
    ['READ', true],
    ['CANCELED', true],
    ['RECEIVED', true],
    ['RECORDED', true],
  ])('%s is final: %s', (status, final) => {
    expect(isFinal(status)).toBe(final);
  });
});

describe('fromTwilioMessageStatus', () => {
  test.each<[string, MessageStatus | null]>([
    ['accepted', 'QUEUED'],
    ['scheduled', 'QUEUED'],
    ['queued', 'QUEUED'],
    ['sending', 'QUEUED'],
    ['sent', 'SENT'],
    ['delivered', 'DELIVERED'],
    ['read', 'READ'],
    ['undelivered', 'UNDELIVERED'],
    ['failed', 'FAILED'],
    ['canceled', 'CANCELED'],
    ['receiving', null],
    ['received', null],
    ['', null],
    ['no-such-status', null],
  ])('Twilio "%s" is %s', (word, status) => {
    expect(fromTwilioMessageStatus(word)).toBe(status);
  });

  test('Twilio words are matched case-insensitively', () => {
    expect(fromTwilioMessageStatus('Delivered')).toBe('DELIVERED');
    expect(fromTwilioMessageStatus('UNDELIVERED')).toBe('UNDELIVERED');
  });
});
