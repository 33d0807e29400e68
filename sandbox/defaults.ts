/**
 * Fixed development credentials and settings for the provider sandbox.
 * These are NOT real Twilio or SendGrid credentials; they only unlock the local emulator.
 */
export const SANDBOX_DEFAULTS = Object.freeze({
  accountSid: 'AC729722b8a2773acb122b9ec5223f911f',
  authToken: '6ba5f063c6bbdcff7e9d09352ac66a3f',
  sendgridApiKey: 'SG.sandbox-development-key',
  /** Signs voice Access Tokens in sandbox mode; browsers cannot reach a real Twilio with them. */
  apiKeySid: 'SK0f3c8ab1d2e44f5a9b6c7d8e9f0a1b2c',
  apiKeySecret: 'sandbox-development-api-key-secret',
  twimlAppSid: 'AP5b2d9e7c1a3f4b6d8e0c2a4f6b8d0e1f',
  /**
   * The Event Webhook signing pair (ECDSA P-256): the sandbox signs event batches with the
   * private key (PKCS#8 DER, base64); omega verifies with the public key (SPKI DER, base64, as
   * SendGrid shows it under Mail Settings), its SENDGRID_WEBHOOK_PUBLIC_KEY default in sandbox
   * mode. Fixed, so both sides agree without talking.
   */
  sendgridEventWebhookPrivateKey:
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCMKKiwKaDzBstCOlJKTbY8oTfrCidph3I1/9v6EbziWhRANCAAQgQDfj+mBHnsBw/VcHKJ4C0R2FtUcwPKiv4BlWNhncnamAWWJXwvNEKNfKTFXHGAi2rMyEM2teGZvr97bn491o',
  sendgridEventWebhookPublicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIEA34/pgR57AcP1XByieAtEdhbVHMDyor+AZVjYZ3J2pgFliV8LzRCjXykxVxxgItqzMhDNrXhmb6/e25+PdaA==',
});

export const DEFAULT_SANDBOX_PORT = 8025;
export const DEFAULT_SANDBOX_HOST = '127.0.0.1';
export const DEFAULT_CALLBACK_DELAY_MS = 150;
