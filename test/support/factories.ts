import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Location, Staff } from '../../db/entities';

let sequence = 0;

/** A phone number no other test (in this run or process) uses: location numbers are globally unique. */
export function uniquePhone(): string {
  sequence += 1;
  const n = (process.pid % 1000) * 10000 + (sequence % 10000);
  return `+1415${String(n).padStart(7, '0')}`;
}

export interface Tenant {
  business: Business;
  location: Location;
  staff: Staff;
  client: Client;
}

export async function createTenant(em: EntityManager, overrides: { status?: Business['status']; clientPhone?: string } = {}): Promise<Tenant> {
  const business = new Business(`Test Studio ${Date.now()}-${sequence}`, 'America/Chicago');
  business.status = overrides.status ?? 'ACTIVE';
  await em.persistAndFlush(business);
  const location = new Location({ businessId: business.id, name: 'Main', timezone: 'America/Chicago', phoneNumber: uniquePhone() });
  await em.persistAndFlush(location);
  const staff = new Staff({ businessId: business.id, firstName: 'Sam', lastName: 'Rivera', email: `sam-${business.id}@example.com`, locationIds: [location.id] });
  const client = new Client({ businessId: business.id, firstName: 'Robin', lastName: 'Lee', phone: overrides.clientPhone ?? uniquePhone(), locationId: location.id });
  em.persist([staff, client]);
  await em.flush();
  return { business, location, staff, client };
}
