import { ArrayType, EntitySchema } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';

export class Staff {
  id!: number;
  businessId!: number;
  firstName!: string;
  lastName: string = '';
  email?: string | null;
  phone?: string | null;
  role: string = 'staff';
  isActive: boolean = true;
  locationIds: number[] = [];
  createdAt: Date = new Date();

  constructor(props: Pick<Staff, 'businessId' | 'firstName'> & Partial<Pick<Staff, 'lastName' | 'email' | 'phone' | 'role' | 'locationIds'>>) {
    Object.assign(this, props);
  }
}

export const StaffSchema = new EntitySchema<Staff>({
  class: Staff,
  tableName: 'staff',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    firstName: { type: 'text' },
    lastName: { type: 'text' },
    email: { type: 'text', nullable: true },
    phone: { type: 'text', nullable: true },
    role: { type: 'text' },
    isActive: { type: 'boolean' },
    locationIds: { type: new ArrayType<number>((n) => Number(n)), columnType: 'bigint[]' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});
