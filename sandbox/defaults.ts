/**
 * Fixed development credentials and settings for the provider sandbox.
 * These are NOT real Twilio or SendGrid credentials; they only unlock the local emulator.
 */
export const SANDBOX_DEFAULTS = Object.freeze({
  accountSid: 'AC729722b8a2773acb122b9ec5223f911f',
  authToken: '6ba5f063c6bbdcff7e9d09352ac66a3f',
  sendgridApiKey: 'SG.sandbox-development-key',
});

export const DEFAULT_SANDBOX_PORT = 8025;
export const DEFAULT_SANDBOX_HOST = '127.0.0.1';
export const DEFAULT_CALLBACK_DELAY_MS = 150;
