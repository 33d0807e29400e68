import { EntitySchema } from '@mikro-orm/core';
import { bigintId, timestamps } from './columns';
import { DEFAULT_AUTO_RESOLVE_HOURS } from '../conversation-status';
import { isClockTime, type QuietHours } from '../quiet-hours';
import type { OnboardingRecord } from '../onboarding-record';

/** Settings a business may change; kept in `settings` (jsonb) under these names. */
export interface BusinessSettings {
  /** Hours without a message after which an ACTIVE or PENDING conversation is resolved; null turns it off. */
  auto_resolve_after_hours: number | null;
  /** Local hours (the location's time zone, else the business's) in which standard SMS wait; null: none. */
  quiet_hours: QuietHours | null;
  /** Whether answered calls are recorded (both parties, from the answer on). */
  record_calls: boolean;
  /** The SMS a caller nobody answered gets, and how long after the call; null: none. */
  missed_call_text_back: MissedCallTextBack | null;
}

export interface MissedCallTextBack {
  body: string;
  delay_seconds: number;
}

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

  inboxSettings(): BusinessSettings {
    const hours = this.settings.auto_resolve_after_hours;
    const quiet = this.settings.quiet_hours as QuietHours | null | undefined;
    const textBack = this.settings.missed_call_text_back as MissedCallTextBack | null | undefined;
    return {
      auto_resolve_after_hours: hours === null ? null : typeof hours === 'number' ? hours : DEFAULT_AUTO_RESOLVE_HOURS,
      quiet_hours: quiet && isClockTime(quiet.start) && isClockTime(quiet.end) ? { start: quiet.start, end: quiet.end } : null,
      record_calls: this.settings.record_calls === true,
      missed_call_text_back:
        textBack && typeof textBack.body === 'string' && Number.isInteger(textBack.delay_seconds) ? { body: textBack.body, delay_seconds: textBack.delay_seconds } : null,
    };
  }

  changeInboxSettings(change: Partial<BusinessSettings>): void {
    this.settings = { ...this.settings, ...change };
  }

  /** How long a conversation may stay quiet before it is resolved, or null when it never is. */
  autoResolveAfterMs(): number | null {
    const hours = this.inboxSettings().auto_resolve_after_hours;
    return hours === null ? null : hours * 60 * 60 * 1000;
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
