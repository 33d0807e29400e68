import { Client } from '@sendgrid/client';

export interface SendGridClientConfig {
  apiKey: string;
  /** When set, every API call goes to this base URL instead of SendGrid (e.g. the sandbox at http://127.0.0.1:8025). */
  baseUrl?: string;
}

/**
 * A real @sendgrid/client Client of its own (not the package's shared singleton), authenticated
 * with `apiKey` and pointed at `baseUrl` when given, at https://api.sendgrid.com otherwise.
 * Request urls stay SendGrid's (`/v3/verified_senders`); axios joins them to the base URL.
 */
export function sendgridClientFor(config: SendGridClientConfig): Client {
  const client = new Client();
  // setApiKey() resets the base URL to the region's SendGrid host, so the override must come after it.
  client.setApiKey(config.apiKey);
  if (config.baseUrl !== undefined) client.setDefaultRequest('baseUrl', `${config.baseUrl.replace(/\/+$/, '')}/`);
  return client;
}
