import type { Reply } from '../reply';
import type { SandboxState } from '../state';
import { isHttpUrl } from '../validate';
import type { EventSigner } from './event-webhook';

const EVENT_FLAGS = ['bounce', 'click', 'deferred', 'delivered', 'dropped', 'group_resubscribe', 'group_unsubscribe', 'open', 'processed', 'spam_report', 'unsubscribe'];

/** SendGrid's legacy Event Webhook settings resource; the sandbox posts every kind of event. */
function settingsResource(state: SandboxState): Record<string, unknown> {
  return { enabled: state.eventWebhook.enabled, url: state.eventWebhook.url ?? '', ...Object.fromEntries(EVENT_FLAGS.map((f) => [f, true])) };
}

/** GET/PATCH /v3/user/webhooks/event/settings and GET/PATCH .../settings/signed (the verification key). */
export class EventWebhookSettingsResource {
  constructor(
    private readonly state: SandboxState,
    private readonly signer: EventSigner,
  ) {}

  get(): Reply {
    return { status: 200, body: settingsResource(this.state) };
  }

  update(body: unknown): Reply {
    const patch = (typeof body === 'object' && body !== null ? body : {}) as { url?: unknown; enabled?: unknown };
    if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean') {
      return { status: 400, body: { errors: [{ field: 'enabled', message: 'enabled must be a boolean' }] } };
    }
    if (patch.url !== undefined && (typeof patch.url !== 'string' || (patch.url !== '' && !isHttpUrl(patch.url)))) {
      return { status: 400, body: { errors: [{ field: 'url', message: 'url must be a valid http(s) URL' }] } };
    }
    if (typeof patch.url === 'string') this.state.eventWebhook.url = patch.url === '' ? null : patch.url;
    if (typeof patch.enabled === 'boolean') this.state.eventWebhook.enabled = patch.enabled;
    return this.get();
  }

  /** The sandbox always signs; the answer carries the key to verify with. */
  signed(): Reply {
    return { status: 200, body: { enabled: true, public_key: this.signer.publicKey } };
  }
}
