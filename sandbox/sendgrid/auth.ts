import { sameSecret } from '../validate';

export interface SendGridCredentials {
  /** The API key clients must send as `Authorization: Bearer <key>`. */
  apiKey: string;
}

/** True when the Authorization header is `Bearer <the configured API key>`. */
export function isBearerAuthorized(creds: SendGridCredentials, authorization: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && sameSecret(match[1], creds.apiKey);
}
