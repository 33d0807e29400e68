import { sameSecret as same } from '../validate';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid?: string;
  apiKeySecret?: string;
}

export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf-8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * True when the Authorization header carries AccountSid:AuthToken or ApiKeySid:ApiKeySecret
 * for the configured account, and the account in the request path is that account.
 */
export function isAuthorized(creds: TwilioCredentials, authorization: string | undefined, pathAccountSid: string): boolean {
  if (pathAccountSid !== creds.accountSid) return false;
  const basic = parseBasicAuth(authorization);
  if (!basic) return false;
  const asAccount = same(basic.username, creds.accountSid) && same(basic.password, creds.authToken);
  const asApiKey =
    creds.apiKeySid !== undefined &&
    creds.apiKeySecret !== undefined &&
    same(basic.username, creds.apiKeySid) &&
    same(basic.password, creds.apiKeySecret);
  return asAccount || asApiKey;
}
