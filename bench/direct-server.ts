/**
 * The baseline of bench/send-throughput.ts: the same send without Temporal, as one small HTTP
 * service. POST /send does the API's database work for one recipient (db/sends), then the
 * provider call and the storing of its id inline (what the sendSms activity does);
 * POST /twilio/sms/status checks the signature, records the callback and applies it at once
 * with db/delivery, where the API would signal the workflow. Started as a child process by the
 * benchmark; env: DATABASE_URL, PORT, SANDBOX_URL, PUBLIC_BASE_URL.
 */
import http from 'node:http';
import twilio from 'twilio';
import type { EntityManager } from '@mikro-orm/postgresql';
import { twilioClientFor } from '../activities/providers/twilio-base-url';
import { fingerprint } from '../api/canonical';
import { loadConfig } from '../config/env';
import { adoptWaitingEvents, applyDeliveryEvents, recordDeliveryReport } from '../db/delivery';
import { Business, Message } from '../db/entities';
import { createOrm, type Orm } from '../db/orm';
import { findRequestMessages, insertOutboundMessages, openConversations, resolveClients, sendingNumber } from '../db/sends';
import { fromTwilioMessageStatus } from '../db/twilio-status';

interface SendBody {
  business_id: number;
  to: string;
  body: string;
  request_id: string;
}

type Twilio = ReturnType<typeof twilioClientFor>;

async function send(orm: Orm, client: Twilio, statusCallback: string, input: SendBody): Promise<number> {
  const em = orm.em.fork() as EntityManager;
  const requestHash = fingerprint({ business_id: input.business_id, to: input.to, body: input.body });
  let messages = await findRequestMessages(em, input.business_id, input.request_id);
  if (messages.length === 0) {
    const business = await em.findOneOrFail(Business, { id: input.business_id });
    const from = (await sendingNumber(em, business.id))!.phoneNumber!;
    // As the API does it: clients, conversations and messages in one transaction.
    ({ messages } = await em.transactional(async (tx) => {
      const clients = await resolveClients(tx, business.id, 'sms', [{ to: input.to }]);
      const conversations = await openConversations(tx, business.id, clients);
      return insertOutboundMessages(
        tx,
        { businessId: business.id, channel: 'sms', requestId: input.request_id, requestHash, fromAddress: from, body: input.body, mediaUrls: [] },
        clients.map((c) => ({ client: c, conversation: conversations.byClient.get(c.id)!, to: c.phone!, optedOut: c.smsOptOut })),
      );
    }));
  }
  // What the sendSms activity does: load the message, hand it to Twilio, store the provider id first.
  const message = await em.findOneOrFail(Message, { id: messages[0].id });
  if (message.providerMessageId) return message.id;
  const sent = await client.messages.create({ to: message.toAddress!, from: message.fromAddress!, body: message.body ?? undefined, statusCallback });
  message.markAccepted(sent.sid, new Date());
  await em.flush();
  // Callbacks that beat the stored provider id are waiting for it; the workflow would apply them now.
  if ((await adoptWaitingEvents(em, message, 'twilio')) > 0) await applyDeliveryEvents(em, message.id);
  return message.id;
}

async function statusCallback(orm: Orm, authToken: string, publicBaseUrl: string, req: http.IncomingMessage, raw: string): Promise<number> {
  const form = new URLSearchParams(raw);
  const params = Object.fromEntries(form.entries());
  const signature = String(req.headers['x-twilio-signature'] ?? '');
  if (!twilio.validateRequest(authToken, signature, `${publicBaseUrl}${req.url}`, params)) return 403;
  const em = orm.em.fork() as EntityManager;
  const { event, message, duplicate } = await recordDeliveryReport(em, {
    provider: 'twilio',
    channel: 'sms',
    providerMessageId: params.MessageSid,
    providerEventId: String(req.headers['i-twilio-idempotency-token'] ?? '') || undefined,
    rawStatus: params.MessageStatus,
    status: fromTwilioMessageStatus(params.MessageStatus ?? ''),
    errorCode: params.ErrorCode || null,
    errorMessage: params.ErrorMessage || null,
    occurredAt: new Date(),
    payload: params,
  });
  if (!duplicate && event && message) await applyDeliveryEvents(em, message.id);
  return 204;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is required');
  const orm = await createOrm(config.databaseUrl, { poolMax: 20 });
  const client = twilioClientFor(config.twilio);
  const callbackUrl = `${config.publicBaseUrl}/twilio/sms/status`;

  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        const raw = await readBody(req);
        if (req.method === 'POST' && req.url === '/send') {
          const id = await send(orm, client, callbackUrl, JSON.parse(raw) as SendBody);
          res.writeHead(202, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message_id: id }));
        } else if (req.method === 'POST' && req.url?.startsWith('/twilio/sms/status')) {
          res.writeHead(await statusCallback(orm, config.twilio.authToken, config.publicBaseUrl, req, raw)).end();
        } else {
          res.writeHead(404).end();
        }
      } catch (error) {
        process.stderr.write(`direct-server: ${req.method} ${req.url}: ${String(error)}\n`);
        if (!res.headersSent) res.writeHead(500).end(String(error));
      }
    })();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, '127.0.0.1', resolve));

  const stop = () => {
    server.close();
    server.closeAllConnections();
    void orm.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`direct-server failed: ${String(error)}\n`);
  process.exit(1);
});
