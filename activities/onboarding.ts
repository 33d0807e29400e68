import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, Business, Location, Staff } from '../db/entities';
import { importClientBatch } from '../db/client-import';
import type { OnboardingRecord } from '../db/onboarding-record';
import type { OnboardLocation, OnboardStaff } from '../workflows/definitions';
import type { ActivityDeps } from './index';

/** The database steps of onboarding. Each is idempotent: a retry finds what the first try made. */
export function createOnboardingActivities({ orm }: Pick<ActivityDeps, 'orm'>) {
  const fork = () => orm.em.fork() as EntityManager;

  return {
    async createLocations({ businessId, locations }: { businessId: number; locations: OnboardLocation[] }) {
      const em = fork();
      let made = await em.find(Location, { businessId }, { orderBy: { id: 'asc' } });
      if (made.length === 0) {
        made = locations.map((l) => new Location({ businessId, name: l.name, address: l.address ?? null, timezone: l.timezone, email: l.email ?? null }));
        await em.persistAndFlush(made);
      }
      return { locationIds: made.map((l) => l.id) };
    },

    async createStaff({ businessId, staff, locationIds }: { businessId: number; staff: OnboardStaff[]; locationIds: number[] }) {
      const em = fork();
      const existing = await em.count(Staff, { businessId });
      if (existing === 0) {
        em.persist(
          staff.map(
            (s) =>
              new Staff({
                businessId,
                firstName: s.firstName,
                lastName: s.lastName,
                email: s.email?.toLowerCase() ?? null,
                phone: s.phone ?? null,
                role: s.role,
                locationIds: s.locationIndexes.map((i) => locationIds[i]),
              }),
          ),
        );
        await em.flush();
      }
      return { created: existing === 0 ? staff.length : existing };
    },

    async importClientBatch({ businessId, batchNo, locationIds }: { businessId: number; batchNo: number; locationIds: number[] }) {
      return importClientBatch(fork(), businessId, batchNo, locationIds);
    },

    async activateApiKey({ apiKeyId }: { apiKeyId: number }) {
      const em = fork();
      const key = await em.findOneOrFail(ApiKey, { id: apiKeyId });
      key.activate();
      await em.flush();
      return { api_key_prefix: key.prefix };
    },

    /** Stores the outcome where the status endpoint reads it once the workflow is gone. */
    /** Ends onboarding: ACTIVE with its verified email sender as the business's, or FAILED with its key revoked. */
    async finishOnboarding({
      businessId,
      apiKeyId,
      record,
      emailSender,
    }: {
      businessId: number;
      apiKeyId: number;
      record: OnboardingRecord;
      emailSender?: { fromAddress: string; fromName: string };
    }) {
      const em = fork();
      await em.transactional(async (tx) => {
        const business = await tx.findOneOrFail(Business, { id: businessId });
        business.status = record.status === 'ACTIVE' ? 'ACTIVE' : 'FAILED';
        business.onboarding = record;
        if (business.status === 'ACTIVE' && emailSender) {
          business.emailFromAddress = emailSender.fromAddress;
          business.emailFromName = emailSender.fromName;
        }
        if (business.status === 'FAILED') (await tx.findOneOrFail(ApiKey, { id: apiKeyId })).revoke();
      });
    },
  };
}
