import type { EntityManager } from '@mikro-orm/postgresql';
import { demoOnboardingRequest, findDemoBusiness } from '../db/seed';
import type { Orm } from '../db/orm';

const ONBOARDING_TIMEOUT_MS = 120_000;

export interface Demo {
  businessId: number;
  clientId: number | null;
  /** Shown only when this run onboarded the demo business. */
  apiKey?: string;
}

/** The demo business, onboarded through the API and its workflow the first time the stack starts. */
export async function ensureDemoBusiness(apiUrl: string, adminKey: string, orm: Orm, say: (line: string) => void): Promise<Demo> {
  const existing = await findDemoBusiness(orm.em.fork() as EntityManager);
  if (existing) return { businessId: existing.business.id, clientId: existing.client?.id ?? null };

  say('onboarding the demo business through POST /business/onboard');
  const headers = { 'X-API-KEY': adminKey, 'Content-Type': 'application/json' };
  const started = await fetch(`${apiUrl}/business/onboard`, { method: 'POST', headers, body: JSON.stringify(demoOnboardingRequest) });
  if (started.status !== 202) throw new Error(`demo onboarding refused: ${started.status} ${await started.text()}`);
  const { business_id: businessId, api_key: apiKey } = (await started.json()) as { business_id: number; api_key: string };

  const deadline = Date.now() + ONBOARDING_TIMEOUT_MS;
  for (;;) {
    const status = (await (await fetch(`${apiUrl}/business/${businessId}/onboarding-status`, { headers })).json()) as { status: string; error: string | null };
    if (status.status === 'ACTIVE') break;
    if (status.status === 'FAILED') throw new Error(`demo onboarding failed: ${status.error}`);
    if (Date.now() > deadline) throw new Error('demo onboarding did not finish in time');
    await new Promise((r) => setTimeout(r, 250));
  }
  const demo = await findDemoBusiness(orm.em.fork() as EntityManager);
  return { businessId, clientId: demo?.client?.id ?? null, apiKey };
}
