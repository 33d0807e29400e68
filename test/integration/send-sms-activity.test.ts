import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTwilioActivities } from '../../activities/twilio';
import { twilioClientFor } from '../../activities/providers/twilio-base-url';
import { loadConfig } from '../../config/env';
import { Message } from '../../db/entities';
import { createOrm, type Orm } from '../../db/orm';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { MAGIC_TO_INVALID, MAGIC_TO_UNAVAILABLE } from '../../sandbox/magic';
import { createTenant, uniquePhone, type Tenant } from '../support/factories';
import { testDatabaseUrl } from '../support/stack';

let orm: Orm;
let sandbox: Sandbox;
let tenant: Tenant;
let twilio: ReturnType<typeof twilioClientFor>;
let activities: ReturnType<typeof createTwilioActivities>;

beforeAll(async () => {
  orm = await createOrm(testDatabaseUrl(), { poolMax: 4 });
  const config = loadConfig({ PROVIDER_MODE: 'sandbox' });
  sandbox = createSandbox({ twilio: { accountSid: config.twilio.accountSid, authToken: config.twilio.authToken } });
  const url = await sandbox.listen(0, '127.0.0.1');
  twilio = twilioClientFor({ ...config.twilio, baseUrl: url });
  // Callbacks go to a closed port: these tests look only at the send itself.
  activities = createTwilioActivities({ orm, twilio, config: { publicBaseUrl: 'http://127.0.0.1:9' } });
  tenant = await createTenant(orm.em.fork() as EntityManager);
});

afterAll(async () => {
  await sandbox?.close();
  await orm?.close();
});

async function pendingMessage(to = uniquePhone()): Promise<Message> {
  const em = orm.em.fork();
  const message = em.create(Message, {
    businessId: tenant.business.id,
    clientId: tenant.client.id,
    channel: 'sms',
    direction: 'outbound',
    body: `Reminder ${to}`,
    toAddress: to,
    fromAddress: tenant.location.phoneNumber,
  });
  await em.flush();
  return message;
}

const sendsTo = (to: string) => sandbox.messages().filter((m) => m.to === to);
type SendSmsResult = Awaited<ReturnType<typeof activities.sendSms>>;
const attempt = (n: number) => new MockActivityEnvironment({ attempt: n });

describe('sendSms activity', () => {
  test('stores the provider id of the one send it makes', async () => {
    const message = await pendingMessage();

    const result = (await attempt(1).run(activities.sendSms, { messageId: message.id })) as SendSmsResult;

    expect(result.state).toMatchObject({ status: 'QUEUED', providerMessageId: sendsTo(message.toAddress!)[0].sid });
    expect(sendsTo(message.toAddress!)).toHaveLength(1);
  });

  test('a retried attempt adopts the send an earlier attempt made but never recorded, instead of sending again', async () => {
    const message = await pendingMessage();
    const lost = await twilio.messages.create({ to: message.toAddress!, from: message.fromAddress!, body: message.body! });

    const result = (await attempt(2).run(activities.sendSms, { messageId: message.id })) as SendSmsResult;

    expect(result.state.providerMessageId).toBe(lost.sid);
    expect(sendsTo(message.toAddress!)).toHaveLength(1);
  });

  test('a retried attempt with no earlier send on record at the provider sends', async () => {
    const message = await pendingMessage();

    await attempt(3).run(activities.sendSms, { messageId: message.id });

    expect(sendsTo(message.toAddress!)).toHaveLength(1);
  });

  test('a message that already has a provider id is not sent again', async () => {
    const message = await pendingMessage();
    await attempt(1).run(activities.sendSms, { messageId: message.id });

    await attempt(1).run(activities.sendSms, { messageId: message.id });

    expect(sendsTo(message.toAddress!)).toHaveLength(1);
  });

  test('an invalid number is a non-retryable ProviderRejected failure carrying the code', async () => {
    const message = await pendingMessage(MAGIC_TO_INVALID);

    const failure = await attempt(1).run(activities.sendSms, { messageId: message.id }).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ProviderRejected', nonRetryable: true, details: [expect.objectContaining({ code: 21211 })] });
  });

  test('a provider outage is thrown as is, so Temporal retries it', async () => {
    const message = await pendingMessage(MAGIC_TO_UNAVAILABLE);

    const failure = await attempt(1).run(activities.sendSms, { messageId: message.id }).catch((e: unknown) => e);

    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ status: 503 });
  });
});
