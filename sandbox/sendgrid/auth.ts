import { sameSecret } from '../validate';

export interface SendGridCredentials {
  /** The API key clients must send as `Authorization: Bearer <key>`. */
  apiKey: string;
  /**
   * The Event Webhook signing key (ECDSA P-256 private key, PKCS#8 DER in base64, or PEM);
   * default SANDBOX_DEFAULTS.sendgridEventWebhookPrivateKey.
   */
  eventWebhookPrivateKey?: string;
}

/** True when the Authorization header is `Bearer <the configured API key>`. */
export function isBearerAuthorized(creds: SendGridCredentials, authorization: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && sameSecret(match[1], creds.apiKey);
}
