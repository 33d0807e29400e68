import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Location, Staff } from './entities';

export const DEMO_BUSINESS_NAME = 'Serenity Day Spa';
export const DEMO_CLIENT_PHONE = '+15551234567';

export interface DemoBusiness {
  business: Business;
  location: Location;
  staff: Staff[];
  client: Client;
}

/** The local demo tenant of `npm start`: a spa with one numbered location, two staff and a client. Idempotent. */
export async function seedDemoBusiness(em: EntityManager): Promise<DemoBusiness> {
  const existing = await em.findOne(Business, { name: DEMO_BUSINESS_NAME });
  if (existing) {
    return {
      business: existing,
      location: await em.findOneOrFail(Location, { businessId: existing.id }, { orderBy: { id: 'asc' } }),
      staff: await em.find(Staff, { businessId: existing.id }, { orderBy: { id: 'asc' } }),
      client: await em.findOneOrFail(Client, { businessId: existing.id }, { orderBy: { id: 'asc' } }),
    };
  }
  return em.transactional(async (tx) => {
    const business = new Business(DEMO_BUSINESS_NAME, 'America/New_York');
    business.status = 'ACTIVE';
    business.emailFromAddress = 'hello@serenity-spa.example';
    business.emailFromName = DEMO_BUSINESS_NAME;
    await tx.persistAndFlush(business);
    const location = new Location({
      businessId: business.id,
      name: 'Downtown',
      address: '12 Main Street, Springfield',
      timezone: 'America/New_York',
      phoneNumber: '+15005550006',
      email: 'downtown@serenity-spa.example',
    });
    await tx.persistAndFlush(location);
    const staff = [
      new Staff({ businessId: business.id, firstName: 'Maya', lastName: 'Chen', email: 'maya@serenity-spa.example', role: 'manager', locationIds: [location.id] }),
      new Staff({ businessId: business.id, firstName: 'Leo', lastName: 'Park', email: 'leo@serenity-spa.example', role: 'staff', locationIds: [location.id] }),
    ];
    const client = new Client({ businessId: business.id, firstName: 'Ada', lastName: 'Lovelace', phone: DEMO_CLIENT_PHONE, email: 'ada@example.com', locationId: location.id });
    tx.persist([...staff, client]);
    await tx.flush();
    return { business, location, staff, client };
  });
}
