import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Location } from '../db/entities';
import type { ActivityDeps } from './index';
import { classifyProviderError } from './provider-errors';

const friendlyName = (locationId: number) => `omega location ${locationId}`;

/** Buying and giving back the Twilio number of a location, webhooks pointed at us. */
export function createPhoneNumberActivities({ orm, twilio, config }: Pick<ActivityDeps, 'orm' | 'twilio' | 'config'>) {
  const fork = () => orm.em.fork() as EntityManager;

  return {
    async purchaseNumber({ locationId, phoneNumber, areaCode }: { locationId: number; phoneNumber?: string; areaCode?: string }) {
      const em = fork();
      const location = await em.findOneOrFail(Location, { id: locationId });
      if (location.phoneNumberSid && location.phoneNumber) return { phoneNumber: location.phoneNumber, sid: location.phoneNumberSid };

      // An earlier attempt may have bought the number and then lost the answer: adopt it.
      const owned = (await twilio.incomingPhoneNumbers.list({ friendlyName: friendlyName(locationId), limit: 20 })).find(
        (n) => n.friendlyName === friendlyName(locationId),
      );
      const number =
        owned ??
        (await twilio.incomingPhoneNumbers
          .create({
            ...(phoneNumber ? { phoneNumber } : { phoneNumber: await availableNumber(areaCode!) }),
            friendlyName: friendlyName(locationId),
            smsUrl: `${config.publicBaseUrl}/twilio/sms/incoming`,
            smsMethod: 'POST',
            voiceUrl: `${config.publicBaseUrl}/voice-calls/twiml`,
            voiceMethod: 'POST',
            statusCallback: `${config.publicBaseUrl}/twilio/voice/status`,
            statusCallbackMethod: 'POST',
          })
          .catch((error: unknown) => {
            throw classifyProviderError(error);
          }));
      location.phoneNumber = number.phoneNumber;
      location.phoneNumberSid = number.sid;
      await em.flush();
      return { phoneNumber: number.phoneNumber, sid: number.sid };
    },

    /** Gives the location's number back to Twilio; a number already gone is fine. */
    async releaseNumber({ locationId }: { locationId: number }) {
      const em = fork();
      const location = await em.findOne(Location, { id: locationId });
      const sid =
        location?.phoneNumberSid ??
        (await twilio.incomingPhoneNumbers.list({ friendlyName: friendlyName(locationId), limit: 20 })).find((n) => n.friendlyName === friendlyName(locationId))?.sid;
      if (sid) {
        await twilio.incomingPhoneNumbers(sid).remove().catch((error: { status?: number }) => {
          if (error.status !== 404) throw error;
        });
      }
      if (location) {
        location.phoneNumber = null;
        location.phoneNumberSid = null;
        await em.flush();
      }
      return { released: sid ?? null };
    },
  };

  async function availableNumber(areaCode: string): Promise<string> {
    const [candidate] = await twilio.availablePhoneNumbers('US').local.list({ areaCode: Number(areaCode), smsEnabled: true, voiceEnabled: true, limit: 1 });
    if (!candidate) throw ApplicationFailure.nonRetryable(`no numbers available in area code ${areaCode}`, 'ProviderRejected', { code: 'NO_NUMBERS' });
    return candidate.phoneNumber;
  }
}
