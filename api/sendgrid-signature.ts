import type { Context } from 'koa';
import { EventWebhook, EventWebhookHeader } from '@sendgrid/eventwebhook';
import { Forbidden } from './errors';

const eventWebhook = new EventWebhook();

/**
 * A check of SendGrid's Signed Event Webhook: ECDSA over the timestamp header and the exact raw
 * body, with the verification key SendGrid shows (base64 SPKI DER). Without a key nothing passes.
 */
export function sendgridSignatureVerifier(publicKey: string | undefined): (ctx: Context, raw: Buffer) => void {
  const key = publicKey ? eventWebhook.convertPublicKeyToECDSA(publicKey) : undefined;
  return (ctx, raw) => {
    if (!key) throw new Forbidden('SendGrid events are refused: SENDGRID_WEBHOOK_PUBLIC_KEY is not configured');
    const signature = ctx.get(EventWebhookHeader.SIGNATURE());
    const timestamp = ctx.get(EventWebhookHeader.TIMESTAMP());
    if (!signature || !timestamp) throw new Forbidden(`Missing ${EventWebhookHeader.SIGNATURE()} or ${EventWebhookHeader.TIMESTAMP()}`);
    let valid = false;
    try {
      valid = eventWebhook.verifySignature(key, raw, signature, timestamp);
    } catch {
      // A signature that is not base64 DER at all.
    }
    if (!valid) throw new Forbidden('Invalid SendGrid event webhook signature');
  };
}
