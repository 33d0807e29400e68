import type { RetryPolicy } from '@temporalio/workflow';

/** Database work: retried until it goes through, backing off to one try every 30 s while the database is away. */
export const DATABASE_RETRY: RetryPolicy = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' };
