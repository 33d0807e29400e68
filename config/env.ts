import { z } from 'zod';
import { createPublicKey, randomBytes } from 'node:crypto';
import { DEFAULT_SMS_PACING, type SmsPacing } from '../db/pacing';
import { SANDBOX_DEFAULTS } from '../sandbox/defaults';

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const urlString = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);

function isEcPublicKey(value: string): boolean {
  try {
    return createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType === 'ec';
  } catch {
    return false;
  }
}

const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z.object({
  PORT: port.default(8000),
  PUBLIC_BASE_URL: urlString(['http:', 'https:']).optional(),
  OMEGA_ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  DATABASE_URL: urlString(['postgres:', 'postgresql:']).optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('omega'),
  PROVIDER_MODE: z.enum(['sandbox', 'live']).default('sandbox'),
  TWILIO_ACCOUNT_SID: optionalString.pipe(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional()),
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_API_KEY_SID: optionalString,
  TWILIO_API_KEY_SECRET: optionalString,
  TWILIO_TWIML_APP_SID: optionalString,
  SENDGRID_API_KEY: optionalString,
  SENDGRID_WEBHOOK_PUBLIC_KEY: optionalString.pipe(
    z.string().refine(isEcPublicKey, 'must be the Event Webhook verification key SendGrid shows (base64 of an EC public key in SPKI DER)').optional(),
  ),
  SANDBOX_PORT: port.default(8025),
  SANDBOX_URL: urlString(['http:', 'https:']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SMS_RATE_LONG_CODE: z.coerce.number().positive().max(1000).default(DEFAULT_SMS_PACING.longCode),
  SMS_RATE_TOLL_FREE: z.coerce.number().positive().max(1000).default(DEFAULT_SMS_PACING.tollFree),
  SMS_RATE_SHORT_CODE: z.coerce.number().positive().max(1000).default(DEFAULT_SMS_PACING.shortCode),
});

export interface Config {
  port: number;
  publicBaseUrl: string;
  adminApiKey: string;
  adminApiKeyGenerated: boolean;
  databaseUrl?: string;
  temporal: { address?: string; namespace: string; taskQueue: string };
  providerMode: 'sandbox' | 'live';
  sandboxPort: number;
  twilio: {
    accountSid: string;
    authToken: string;
    apiKeySid?: string;
    apiKeySecret?: string;
    twimlAppSid?: string;
    /** The API key that signs voice Access Tokens (Twilio accepts no auth token for them); a development key in sandbox mode. */
    accessTokenKey?: { sid: string; secret: string };
    /** Where the Twilio REST client sends its requests; undefined means Twilio itself. */
    baseUrl?: string;
  };
  sendgrid: {
    /** Undefined in live mode without SENDGRID_API_KEY: email is then unavailable. */
    apiKey?: string;
    /** Verifies the Event Webhook's signatures (base64 SPKI DER, as SendGrid shows it); without it /email/webhook refuses everything. */
    webhookPublicKey?: string;
    /** Where the SendGrid client sends its requests; undefined means SendGrid itself. */
    baseUrl?: string;
  };
  logLevel: string;
  /** Segments per second per sending number, by kind of number. */
  smsPacing: SmsPacing;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable is an unset one (PORT= must not mean port 0).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const sandbox = e.PROVIDER_MODE === 'sandbox';
  if (!sandbox) {
    const missing = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'OMEGA_ADMIN_API_KEY', 'PUBLIC_BASE_URL'] as const).filter(
      (name) => !e[name],
    );
    if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: required when PROVIDER_MODE=live`));
  }
  const sandboxUrl = sandbox ? (e.SANDBOX_URL ?? `http://127.0.0.1:${e.SANDBOX_PORT}`).replace(/\/+$/, '') : undefined;
  return {
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    adminApiKey: e.OMEGA_ADMIN_API_KEY ?? `omega_admin_${randomBytes(24).toString('hex')}`,
    adminApiKeyGenerated: !e.OMEGA_ADMIN_API_KEY,
    databaseUrl: e.DATABASE_URL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    providerMode: e.PROVIDER_MODE,
    sandboxPort: e.SANDBOX_PORT,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID ?? SANDBOX_DEFAULTS.accountSid,
      authToken: e.TWILIO_AUTH_TOKEN ?? SANDBOX_DEFAULTS.authToken,
      apiKeySid: e.TWILIO_API_KEY_SID,
      apiKeySecret: e.TWILIO_API_KEY_SECRET,
      twimlAppSid: e.TWILIO_TWIML_APP_SID ?? (sandbox ? SANDBOX_DEFAULTS.twimlAppSid : undefined),
      accessTokenKey:
        e.TWILIO_API_KEY_SID && e.TWILIO_API_KEY_SECRET
          ? { sid: e.TWILIO_API_KEY_SID, secret: e.TWILIO_API_KEY_SECRET }
          : sandbox
            ? { sid: SANDBOX_DEFAULTS.apiKeySid, secret: SANDBOX_DEFAULTS.apiKeySecret }
            : undefined,
      baseUrl: sandboxUrl,
    },
    sendgrid: {
      apiKey: e.SENDGRID_API_KEY ?? (sandbox ? SANDBOX_DEFAULTS.sendgridApiKey : undefined),
      // The sandbox signs its event batches with the development pair unless told otherwise.
      webhookPublicKey: e.SENDGRID_WEBHOOK_PUBLIC_KEY ?? (sandbox ? SANDBOX_DEFAULTS.sendgridEventWebhookPublicKey : undefined),
      baseUrl: sandboxUrl,
    },
    logLevel: e.LOG_LEVEL,
    smsPacing: { longCode: e.SMS_RATE_LONG_CODE, tollFree: e.SMS_RATE_TOLL_FREE, shortCode: e.SMS_RATE_SHORT_CODE },
  };
}
