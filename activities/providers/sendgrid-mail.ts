import type { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';

/**
 * A real @sendgrid/mail MailService of its own (not the package's shared singleton) that sends
 * through `client`: a sendgridClientFor() client, so mail goes where that client points (the
 * sandbox, or SendGrid) with its API key.
 */
export function sendgridMailFor(client: Client): MailService {
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}
