/** The steps of onboarding a business, as the workflow reports them and the database keeps them. */
export interface OnboardingStep {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'SKIPPED' | 'FAILED' | 'COMPENSATED';
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  detail?: Record<string, unknown>;
}

export interface OnboardingRecord {
  status: 'ONBOARDING' | 'ACTIVE' | 'FAILED';
  steps: OnboardingStep[];
  progress: number;
  error: string | null;
}
