import type { ActivityDeps } from './index';
import { classifyProviderError } from './provider-errors';

interface VerifiedSender {
  id: number;
  from_email: string;
  verified: boolean;
}

/** The business's email sender, verified through SendGrid's Sender Identity API. */
export function createSendGridActivities({ sendgrid }: Pick<ActivityDeps, 'sendgrid'>) {
  const request = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: object): Promise<T> => {
    try {
      const [, responseBody] = await sendgrid.request({ method, url, body });
      return responseBody as T;
    } catch (error) {
      throw classifyProviderError(withSendGridReason(error));
    }
  };
  const senders = async () => (await request<{ results: VerifiedSender[] }>('GET', '/v3/verified_senders')).results ?? [];

  return {
    /** Asks SendGrid to verify the sender, or finds the request an earlier attempt made. */
    async createSender({ businessId, fromAddress, fromName }: { businessId: number; fromAddress: string; fromName: string }) {
      const existing = (await senders()).find((s) => s.from_email.toLowerCase() === fromAddress.toLowerCase());
      const sender =
        existing ??
        (await request<VerifiedSender>('POST', '/v3/verified_senders', {
          nickname: `omega business ${businessId}`,
          from_email: fromAddress,
          from_name: fromName,
          reply_to: fromAddress,
          address: 'n/a',
          city: 'n/a',
          country: 'n/a',
        }));
      return { senderId: sender.id };
    },

    async checkSender({ senderId }: { senderId: number }) {
      const sender = (await senders()).find((s) => s.id === senderId);
      return { verified: sender?.verified ?? false };
    },

    async deleteSender({ senderId }: { senderId: number }) {
      await request('DELETE', `/v3/verified_senders/${senderId}`).catch((error: { details?: [{ status?: number }] }) => {
        if (error.details?.[0]?.status !== 404) throw error;
      });
    },
  };
}

/** SendGrid's errors say "Bad Request"; the reasons are in the response body. */
export function withSendGridReason(error: unknown): unknown {
  const body = (error as { response?: { body?: { errors?: { field?: string | null; message?: string }[] } } }).response?.body;
  const reasons = body?.errors?.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).filter(Boolean);
  if (!reasons?.length) return error;
  return Object.assign(new Error(`SendGrid: ${reasons.join('; ')}`), { code: (error as { code?: number }).code });
}
