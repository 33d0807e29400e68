import { EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId, timestamps } from './columns';

export class Client {
  id!: number;
  businessId!: number;
  firstName: string = '';
  lastName: string = '';
  phone?: string | null;
  email?: string | null;
  smsOptOut: boolean = false;
  emailOptOut: boolean = false;
  locationId?: number | null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(props: Pick<Client, 'businessId'> & Partial<Pick<Client, 'firstName' | 'lastName' | 'phone' | 'email' | 'locationId'>>) {
    Object.assign(this, props);
  }

  isOptedOut(channel: 'sms' | 'email' | 'voice' | 'note'): boolean {
    if (channel === 'sms') return this.smsOptOut;
    if (channel === 'email') return this.emailOptOut;
    return false;
  }
}

export const ClientSchema = new EntitySchema<Client>({
  class: Client,
  tableName: 'clients',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    firstName: { type: 'text' },
    lastName: { type: 'text' },
    phone: { type: 'text', nullable: true },
    email: { type: 'text', nullable: true },
    smsOptOut: { type: 'boolean' },
    emailOptOut: { type: 'boolean' },
    locationId: bigintColumn({ nullable: true }),
    ...timestamps(),
  },
});
