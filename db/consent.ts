import type { EntityManager } from '@mikro-orm/postgresql';

/** What a short inbound text asks for, the way carriers and Twilio read these keywords. */
export type KeywordIntent = 'opt_out' | 'opt_in' | 'help';

const OPT_OUT_WORDS = new Set(['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout', 'opt out']);
const OPT_IN_WORDS = new Set(['start', 'unstop', 'yes']);
const HELP_WORDS = new Set(['help', 'info']);

/** The keyword an inbound text is, if the whole text is one: any case, surrounding spaces and a final period ignored. */
export function keywordIntent(body: string | null | undefined): KeywordIntent | null {
  const word = (body ?? '').trim().replace(/[.!]+$/, '').replace(/\s+/g, ' ').toLowerCase();
  if (OPT_OUT_WORDS.has(word)) return 'opt_out';
  if (OPT_IN_WORDS.has(word)) return 'opt_in';
  if (HELP_WORDS.has(word)) return 'help';
  return null;
}

export interface ConsentChange {
  businessId: number;
  channel: 'sms' | 'email';
  /** E.164 phone or lower-cased email. */
  address: string;
  action: 'opt_out' | 'opt_in';
  source: 'keyword' | 'api' | 'unsubscribe' | 'spam_report';
  keyword?: string | null;
  messageId?: number | null;
}

/**
 * Records a consent change in the ledger and applies it to the business's client with that
 * address. Returns whether the client's consent actually changed.
 */
export async function recordConsent(em: EntityManager, change: ConsentChange): Promise<{ changed: boolean; clientId: number | null }> {
  const flag = change.channel === 'sms' ? 'sms_opt_out' : 'email_opt_out';
  const match = change.channel === 'sms' ? 'phone = ?' : 'lower(email) = ?';
  const optedOut = change.action === 'opt_out';
  return em.transactional(async (tx) => {
    const [client] = await tx.execute(`select id, ${flag} as opted_out from clients where business_id = ? and ${match} for update`, [change.businessId, change.address]);
    await tx.execute(
      `insert into consent_events (business_id, client_id, channel, address, action, source, keyword, message_id) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [change.businessId, client?.id ?? null, change.channel, change.address, change.action, change.source, change.keyword ?? null, change.messageId ?? null],
    );
    if (!client) return { changed: false, clientId: null };
    if (client.opted_out === optedOut) return { changed: false, clientId: Number(client.id) };
    await tx.execute(`update clients set ${flag} = ?, updated_at = now() where id = ?`, [optedOut, client.id]);
    return { changed: true, clientId: Number(client.id) };
  });
}
