import { ApplicationFailure } from '@temporalio/activity';

/**
 * A provider's 4xx answer (an invalid number, a number not for sale, a bad sender) will not
 * change on a retry: it becomes a non-retryable ProviderRejected failure carrying the provider's
 * code. Everything else (5xx, 429, timeouts, resets) is returned as is, for Temporal to retry.
 */
export function classifyProviderError(error: unknown): unknown {
  const status = (error as { status?: number; code?: number | string }).status ?? (error as { code?: unknown }).code;
  const code = (error as { code?: number | string }).code;
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) {
    return ApplicationFailure.nonRetryable((error as Error).message, 'ProviderRejected', { code: code ?? status, status });
  }
  return error;
}
