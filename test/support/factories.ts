import { randomInt } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Business, Client, Location, Staff } from '../../db/entities';

const AREA_CODES = ['415', '628', '650', '707', '925', '510', '408', '209', '831'];
const issued = new Set<string>();
let sequence = 0;

/**
 * A phone number no other test is likely to use: test files share one database and location
 * numbers are unique across it, so numbers are random (about 1 in 10^8 to meet), not counted.
 */
export function uniquePhone(): string {
  for (;;) {
    const phone = `+1${AREA_CODES[randomInt(AREA_CODES.length)]}${randomInt(2_000_000, 10_000_000)}`;
    if (!issued.has(phone)) {
      issued.add(phone);
      return phone;
    }
  }
}

export interface Tenant {
  business: Business;
  location: Location;
  staff: Staff;
  client: Client;
}

export async function createTenant(em: EntityManager, overrides: { status?: Business['status']; clientPhone?: string } = {}): Promise<Tenant> {
  sequence += 1;
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
