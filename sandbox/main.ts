import { createSandbox } from './app';
import { DEFAULT_CALLBACK_DELAY_MS, DEFAULT_SANDBOX_HOST, DEFAULT_SANDBOX_PORT, SANDBOX_DEFAULTS } from './defaults';

/**
 * Standalone provider sandbox: `npx tsx sandbox/main.ts`.
 * Env: SANDBOX_PORT (8025), SANDBOX_HOST (127.0.0.1), SANDBOX_CALLBACK_DELAY_MS (150), SANDBOX_QUIET=1 (no request logs),
 * TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (development defaults), TWILIO_API_KEY_SID / TWILIO_API_KEY_SECRET (optional),
 * SENDGRID_API_KEY (development default SG.sandbox-development-key): the Bearer key the /v3/ SendGrid emulation accepts,
 * SENDGRID_WEBHOOK_PRIVATE_KEY (development default in defaults.ts): the key event batches are signed with,
 * SENDGRID_EVENT_WEBHOOK_URL (default $PUBLIC_BASE_URL/email/webhook when PUBLIC_BASE_URL is set): where events go.
 */
async function main(): Promise<void> {
  const env = process.env;
  const quiet = env.SANDBOX_QUIET === '1';
  const sandbox = createSandbox({
    twilio: {
      accountSid: env.TWILIO_ACCOUNT_SID || SANDBOX_DEFAULTS.accountSid,
      authToken: env.TWILIO_AUTH_TOKEN || SANDBOX_DEFAULTS.authToken,
      apiKeySid: env.TWILIO_API_KEY_SID || undefined,
      apiKeySecret: env.TWILIO_API_KEY_SECRET || undefined,
    },
    sendgrid: {
      apiKey: env.SENDGRID_API_KEY || SANDBOX_DEFAULTS.sendgridApiKey,
      eventWebhookPrivateKey: env.SENDGRID_WEBHOOK_PRIVATE_KEY || undefined,
    },
    sendgridEventWebhookUrl: env.SENDGRID_EVENT_WEBHOOK_URL || (env.PUBLIC_BASE_URL ? `${env.PUBLIC_BASE_URL.replace(/\/+$/, '')}/email/webhook` : undefined),
    callbackDelayMs: Number(env.SANDBOX_CALLBACK_DELAY_MS || DEFAULT_CALLBACK_DELAY_MS),
    log: quiet ? undefined : (line) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + '\n'),
  });
  const url = await sandbox.listen(Number(env.SANDBOX_PORT || DEFAULT_SANDBOX_PORT), env.SANDBOX_HOST || DEFAULT_SANDBOX_HOST);
  process.stdout.write(`sandbox listening on ${url}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`sandbox failed to stop after ${signal}: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox failed to start: ${String(error)}\n`);
  process.exit(1);
});
