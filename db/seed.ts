import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client } from './entities';

export const DEMO_BUSINESS_NAME = 'Serenity Day Spa';
export const DEMO_CLIENT_PHONE = '+15551234567';

/** The local demo tenant of `npm start`, as the body of POST /business/onboard. */
export const demoOnboardingRequest = {
  name: DEMO_BUSINESS_NAME,
  timezone: 'America/New_York',
  locations: [{ name: 'Downtown', address: '12 Main Street, Springfield', area_code: '415', email: 'downtown@serenity-spa.example' }],
  staff: [
    { first_name: 'Maya', last_name: 'Chen', email: 'maya@serenity-spa.example', role: 'manager', location_indexes: [0] },
    { first_name: 'Leo', last_name: 'Park', email: 'leo@serenity-spa.example', role: 'staff', location_indexes: [0] },
  ],
  clients: [{ first_name: 'Ada', last_name: 'Lovelace', phone: DEMO_CLIENT_PHONE, email: 'ada@example.com', location_index: 0 }],
  email: { from_address: 'hello@serenity-spa.example', from_name: DEMO_BUSINESS_NAME },
};

/** The demo business and its client, once onboarded. */
export async function findDemoBusiness(em: EntityManager): Promise<{ business: Business; client: Client | null } | null> {
  const business = await em.findOne(Business, { name: DEMO_BUSINESS_NAME, status: 'ACTIVE' }, { orderBy: { id: 'asc' } });
  if (!business) return null;
  return { business, client: await em.findOne(Client, { businessId: business.id, phone: DEMO_CLIENT_PHONE }) };
}
