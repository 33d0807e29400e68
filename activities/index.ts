import type { Orm } from '../db/orm';
import type { Twilio } from 'twilio';
import { createMessageActivities } from './messages';
import { createTwilioActivities } from './twilio';

export interface ActivityDeps {
  orm: Orm;
  twilio: Twilio;
  config: { publicBaseUrl: string };
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessageActivities(deps),
    ...createTwilioActivities(deps),
  };
}
