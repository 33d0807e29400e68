/**
 * `npx tsx bench/email-webhook.ts [--runs 5] [--kb 768]`: how long POST /email/webhook takes to
 * answer one signed SendGrid batch of about --kb KB (≈ 3 events per email: processed, delivered,
 * open), through the real API on the machine's PostgreSQL and a Temporal dev server.
 *
 * Each run gets emails of its own (QUEUED, as after the send) and a fresh batch of them; the
 * sends' workflows have ended, so final news is offered to Temporal first and then applied by
 * the API (the slower of the two paths). A last run replays the first batch: all duplicates.
 * Uses DATABASE_URL, else a fresh database omega_bench_email on 127.0.0.1:5432 (dropped after).
 */
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { dropDatabase, ensureDatabase } from '../db/database';
import { createOrm, migrate } from '../db/orm';
import { MESSAGE_ID_ARG } from '../db/sendgrid-events';
import { SANDBOX_DEFAULTS } from '../sandbox/defaults';
import { EventSigner, SIGNATURE_HEADER, TIMESTAMP_HEADER, type SendGridEvent } from '../sandbox/sendgrid/event-webhook';
import { temporalCli } from '../scripts/temporal-cli';
import { machine } from './lib/report';
import { summarize } from './lib/stats';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '5' }, kb: { type: 'string', default: '768' } } });
const RUNS = Number(flags.runs);
const TARGET_BYTES = Number(flags.kb) * 1024;
const OWN_DATABASE = 'postgres://postgres@127.0.0.1:5432/omega_bench_email';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? OWN_DATABASE;
  if (!process.env.DATABASE_URL) await dropDatabase(databaseUrl).catch(() => undefined);
  await ensureDatabase(databaseUrl);
  const orm = await createOrm(databaseUrl, { poolMax: 10 });
  await migrate(orm);
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCli() }, extraArgs: ['--log-level', 'error'] } });
  const server = http.createServer();
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const config = loadConfig({ PORT: String(port), PROVIDER_MODE: 'sandbox', OMEGA_ADMIN_API_KEY: randomBytes(16).toString('hex'), LOG_LEVEL: 'silent' });
    server.on('request', createApp({ orm, temporal: env.client, config, logger: pino({ level: 'silent' }) }).callback());
    const url = `http://127.0.0.1:${port}/email/webhook`;
    const em = orm.em.fork() as EntityManager;
    const businessId = await newBusiness(em);
    const signer = new EventSigner(SANDBOX_DEFAULTS.sendgridEventWebhookPrivateKey);

    const runs: { ms: number; events: number; bytes: number; stored: number; messages: number }[] = [];
    let first: string | undefined;
    for (let run = 0; run <= RUNS; run++) {
      const payload = run === RUNS ? first! : await batchFor(em, businessId);
      first ??= payload;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signer.sign(timestamp, payload), [TIMESTAMP_HEADER]: timestamp };
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', headers, body: payload });
      const answer = (await response.json()) as { received: number; stored: number };
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${JSON.stringify(answer)}`);
      const events = answer.received;
      runs.push({ ms, events, bytes: Buffer.byteLength(payload), stored: answer.stored, messages: Math.round(events / 3) });
      console.log(`${run === RUNS ? 'replay' : `run ${run + 1}`}: ${events} events, ${(Buffer.byteLength(payload) / 1024).toFixed(0)} KB, stored ${answer.stored}, ${ms.toFixed(0)} ms`);
    }
    const fresh = summarize(runs.slice(0, RUNS).map((r) => r.ms));
    const statuses = await em.getConnection().execute(`select status, count(*)::int as n from messages where business_id = ? group by status order by status`, [businessId]);
    console.log(JSON.stringify({ machine: machine(), fresh_ms: fresh, replay_ms: Math.round(runs[RUNS].ms), statuses }, null, 2));
  } finally {
    server.close();
    server.closeAllConnections();
    await env.teardown();
    await orm.close();
    if (!process.env.DATABASE_URL) await dropDatabase(databaseUrl);
  }
}

async function newBusiness(em: EntityManager): Promise<number> {
  const [business] = await em.execute(
    `insert into businesses (name, status, email_from_address) values (?, 'ACTIVE', 'bench@studio.example.com') returning id`,
    [`Email webhook bench ${randomUUID()}`],
  );
  return Number(business.id);
}

/** QUEUED emails to new clients, and a batch of their events of at least TARGET_BYTES. */
async function batchFor(em: EntityManager, businessId: number): Promise<string> {
  const events: SendGridEvent[] = [];
  const now = Math.floor(Date.now() / 1000);
  let size = 2;
  while (size < TARGET_BYTES) {
    const chunk = 200;
    const rows: Record<string, unknown>[] = await em.execute(
      `with c as (
         insert into clients (business_id, email) select ?, 'bench-' || gen_random_uuid() || '@example.com' from generate_series(1, ?) returning id, email
       )
       insert into messages (business_id, client_id, channel, direction, status, subject, body, from_address, to_address, provider_message_id, attempts)
       select ?, c.id, 'email', 'outbound', 'QUEUED', 'Your visit', 'See you tomorrow', 'bench@studio.example.com', c.email,
         substr(replace(gen_random_uuid()::text, '-', ''), 1, 22), 1
       from c returning id, to_address, provider_message_id`,
      [businessId, chunk, businessId],
    );
    for (const row of rows) {
      const base = {
        email: String(row.to_address),
        sg_message_id: `${row.provider_message_id}.filterdrecv-bench-7c9f8b5d4-x2k9q-1-6744A1B2-3C.0`,
        'smtp-id': `<${row.provider_message_id}@ismtpd0042p1mdw1.sendgrid.net>`,
        category: 'standard',
        [MESSAGE_ID_ARG]: String(row.id),
      };
      const event = (name: string, at: number, extra: Record<string, unknown> = {}): SendGridEvent => ({
        ...base,
        event: name,
        timestamp: at,
        sg_event_id: randomBytes(16).toString('base64url').slice(0, 22),
        ...extra,
      });
      for (const e of [
        event('processed', now),
        event('delivered', now + 2, { response: '250 2.0.0 OK  1732312345 d75a77b69052e-4611c5f6c5bsi12345qtb.123 - gsmtp', ip: '149.72.123.45', tls: 1 }),
        event('open', now + 60, { useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)', ip: '66.249.84.12', sg_machine_open: false }),
      ]) {
        events.push(e);
        size += JSON.stringify(e).length + 1;
      }
      if (size >= TARGET_BYTES) break;
    }
  }
  return JSON.stringify(events);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
