import { EntitySchema } from '@mikro-orm/core';
import { bigintId, timestamps } from './columns';
import type { OnboardingRecord } from '../onboarding-record';

export type BusinessStatus = 'ONBOARDING' | 'ACTIVE' | 'FAILED';

export class Business {
  id!: number;
  name!: string;
  timezone: string = 'UTC';
  status: BusinessStatus = 'ONBOARDING';
  settings: Record<string, unknown> = {};
  emailFromAddress?: string | null;
  emailFromName?: string | null;
  onboardingWorkflowId?: string | null;
  onboarding: Partial<OnboardingRecord> = {};
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(name: string, timezone = 'UTC') {
    this.name = name;
    this.timezone = timezone;
  }
}

export const BusinessSchema = new EntitySchema<Business>({
  class: Business,
  tableName: 'businesses',
  properties: {
    id: bigintId(),
    name: { type: 'text' },
    timezone: { type: 'text' },
    status: { type: 'text' },
    settings: { type: 'json' },
    emailFromAddress: { type: 'text', nullable: true },
    emailFromName: { type: 'text', nullable: true },
    onboardingWorkflowId: { type: 'text', nullable: true },
    onboarding: { type: 'json' },
    ...timestamps(),
  },
});
