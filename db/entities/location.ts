import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';

export class Location {
  id!: number;
  businessId!: number;
  name!: string;
  address?: string | null;
  timezone: string = 'UTC';
  phoneNumber?: string | null;
  /** Twilio's IncomingPhoneNumber sid when we bought the number ourselves. */
  phoneNumberSid?: string | null;
  email?: string | null;
  createdAt: Date = new Date();

  constructor(props: { businessId: number; name: string; timezone?: string; address?: string | null; phoneNumber?: string | null; email?: string | null }) {
    Object.assign(this, props);
  }
}

export const LocationSchema = new EntitySchema<Location>({
  class: Location,
  tableName: 'locations',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    name: { type: 'text' },
    address: { type: 'text', nullable: true },
    timezone: { type: 'text' },
    phoneNumber: { type: 'text', nullable: true },
    phoneNumberSid: { type: 'text', nullable: true },
    email: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
