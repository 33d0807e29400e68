import http from 'node:http';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { sendgridClientFor } from '../../activities/providers/sendgrid-base-url';
import { sendgridMailFor } from '../../activities/providers/sendgrid-mail';
import { createSandbox, type Sandbox } from '../../sandbox/app';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';
import { MAGIC_EMAIL_BOUNCE } from '../../sandbox/magic';

const twilioCreds = { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken };
const API_KEY = 'SG.sandbox-test-key';

/** A receiver for the Event Webhook that keeps each request's raw body and headers. */
async function receiver() {
  const received: { body: string; signature: string; timestamp: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['x-twilio-email-event-webhook-signature']),
        timestamp: String(req.headers['x-twilio-email-event-webhook-timestamp']),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/email/webhook`, close: () => server.close() };
}

describe('sandbox SendGrid mail send driven by the real @sendgrid/mail', () => {
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let baseUrl: string;

  beforeAll(async () => {
    hook = await receiver();
    sandbox = createSandbox({ twilio: twilioCreds, sendgrid: { apiKey: API_KEY }, sendgridEventWebhookUrl: hook.url, callbackDelayMs: 20 });
    baseUrl = await sandbox.listen(0);
  });

  afterAll(async () => {
    await sandbox.close();
    hook.close();
  });

  const mail = () => sendgridMailFor(sendgridClientFor({ apiKey: API_KEY, baseUrl }));
  const message = (to: string) => ({
    to,
    from: { email: 'desk@studio.example.com', name: 'Desk' },
    subject: 'Hello',
    text: 'Plain',
    html: '<p>Rich</p>',
    customArgs: { omega_message_id: '42' },
  });
  const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as any);

  test('a valid mail is a 202 with an X-Message-Id, kept with its recipients and content', async () => {
    const [response] = await mail().send(message('robin@example.com'));

    expect(response.statusCode).toBe(202);
    const id = response.headers['x-message-id'];
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sandbox.mails().find((m) => m.messageId === id)).toMatchObject({
      from: { email: 'desk@studio.example.com', name: 'Desk' },
      text: 'Plain',
      html: '<p>Rich</p>',
      recipients: [{ email: 'robin@example.com', subject: 'Hello', customArgs: { omega_message_id: '42' } }],
    });
  });

  test('its events come as signed batches that @sendgrid/eventwebhook verifies with the key the sandbox shows', async () => {
    const [response] = await mail().send(message(MAGIC_EMAIL_BOUNCE));
    const id = String(response.headers['x-message-id']);
    const deadline = Date.now() + 3000;
    const ofThisMail = () => hook.received.filter((r) => r.body.includes(id));
    while (ofThisMail().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    const batches = ofThisMail();
    const verifier = new EventWebhook();
    const key = verifier.convertPublicKeyToECDSA(sandbox.sendgridEventWebhookPublicKey);

    expect(sandbox.sendgridEventWebhookPublicKey).toBe(SANDBOX_DEFAULTS.sendgridEventWebhookPublicKey);
    expect(batches.map((b) => verifier.verifySignature(key, b.body, b.signature, b.timestamp))).toEqual([true, true]);
    expect(verifier.verifySignature(key, batches[0].body.replace('processed', 'processeD'), batches[0].signature, batches[0].timestamp)).toBe(false);
    const events = batches.flatMap((b) => JSON.parse(b.body));
    expect(events.map((e: { event: string }) => e.event)).toEqual(['processed', 'bounce']);
    expect(events[1]).toMatchObject({ email: MAGIC_EMAIL_BOUNCE, status: '5.1.1', omega_message_id: '42', sg_message_id: expect.stringMatching(new RegExp(`^${id}\\.`)) });
  });

  test('a body SendGrid would refuse is a 400 with its errors array, every problem at once', async () => {
    const client = sendgridClientFor({ apiKey: API_KEY, baseUrl });

    const error = await rejection(client.request({ method: 'POST', url: '/v3/mail/send', body: { personalizations: [{ to: [{ email: 'nope' }] }], from: {} } }));

    expect(error.code).toBe(400);
    expect(error.response.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['personalizations.0.to.0.email', 'from.email', 'subject', 'content']),
    );
  });

  test('a wrong key is a 401; a sender that never verified is a 403', async () => {
    const wrongKey = await rejection(sendgridMailFor(sendgridClientFor({ apiKey: 'SG.wrong', baseUrl })).send(message('a@example.com')));
    const unverified = await rejection(mail().send({ ...message('a@example.com'), from: 'desk@fail.example' }));

    expect([wrongKey.code, unverified.code]).toEqual([401, 403]);
  });
});
