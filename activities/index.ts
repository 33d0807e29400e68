import type { Client as SendGridClient } from '@sendgrid/client';
import type { Twilio } from 'twilio';
import type { Orm } from '../db/orm';
import type { SmsPacing } from '../db/pacing';
import { createConversationActivities } from './conversations';
import { createEmailActivities } from './email';
import { createInboundActivities } from './inbound';
import { createMessageActivities } from './messages';
import { createOnboardingActivities } from './onboarding';
import { createPhoneNumberActivities } from './phone-numbers';
import { createRetryActivities } from './retries';
import { createSendGridActivities } from './sendgrid';
import { createTwilioActivities } from './twilio';
import { createVoiceCallActivities } from './voice-calls';

export interface ActivityDeps {
  orm: Orm;
  twilio: Twilio;
  sendgrid: SendGridClient;
  config: { publicBaseUrl: string; smsPacing?: SmsPacing };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessageActivities(deps),
    ...createConversationActivities(deps),
    ...createInboundActivities(deps),
    ...createRetryActivities(deps),
    ...createTwilioActivities(deps),
    ...createEmailActivities(deps),
    ...createOnboardingActivities(deps),
    ...createPhoneNumberActivities(deps),
    ...createSendGridActivities(deps),
    ...createVoiceCallActivities(deps),
  };
}
