import type { Client as TemporalClient } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Orm } from '../db/orm';
import type { Authenticator } from './auth';
import type { DeliveryOutbox } from './delivery-outbox';

export interface AppDeps {
  orm: Orm;
  temporal: TemporalClient;
  config: Pick<Config, 'publicBaseUrl' | 'adminApiKey' | 'temporal' | 'twilio' | 'sendgrid'>;
  logger: Logger;
  /** Where `/twilio/sms/status` keeps callbacks; a route table built only to be read needs none. */
  deliveryOutbox?: DeliveryOutbox;
  /** Defaults to the admin key, business keys and sessions in the database. */
  authenticator?: Authenticator;
  version?: string;
}
