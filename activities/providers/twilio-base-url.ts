import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';

/** `https://api.twilio.com`, `https://api.us1.twilio.com:443`, ... : the host part of any Twilio API URL. */
const TWILIO_ORIGIN = /^https:\/\/(?:[a-z0-9-]+\.)*twilio\.com(?::\d+)?(?=[/?#]|$)/i;

/** Replaces the Twilio origin of `uri` with `baseUrl`, keeping path and query. Other URLs pass through. */
export function rewriteTwilioUrl(uri: string, baseUrl: string): string {
  return uri.replace(TWILIO_ORIGIN, baseUrl.replace(/\/+$/, ''));
}

/**
 * The twilio package's HTTP client, redirected to another base URL (e.g. the local provider
 * sandbox at http://127.0.0.1:8025). Every request, including the absolute next-page URLs that
 * list() follows, goes through request(), so the whole client is redirected.
 */
export class BaseUrlRequestClient extends RequestClient {
  readonly baseUrl: string;

  constructor(baseUrl: string, opts?: RequestClient.RequestClientOptions) {
    super(opts);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: rewriteTwilioUrl(opts.uri, this.baseUrl) });
  }
}

export interface TwilioClientConfig {
  accountSid: string;
  authToken: string;
  /** When set, every API call goes to this base URL instead of Twilio (e.g. the sandbox). */
  baseUrl?: string;
  /** When both are set, authenticate with the API key instead of the auth token. */
  apiKeySid?: string;
  apiKeySecret?: string;
}

/** A real twilio client; pointed at `baseUrl` when given, at Twilio otherwise. */
export function twilioClientFor(config: TwilioClientConfig): twilio.Twilio {
  const useApiKey = Boolean(config.apiKeySid && config.apiKeySecret);
  const username = useApiKey ? (config.apiKeySid as string) : config.accountSid;
  const password = useApiKey ? (config.apiKeySecret as string) : config.authToken;
  const httpClient = config.baseUrl === undefined ? undefined : new BaseUrlRequestClient(config.baseUrl);
  return twilio(username, password, { accountSid: config.accountSid, ...(httpClient ? { httpClient } : {}) });
}
