/**
 * When a failed batch is retried, and when its records are given up on
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 */
import type { TriggerSettings } from './settings';

/**
 * "When you configure both infinite retries and an on-failure destination, Lambda automatically
 * applies a maximum of 10 retry attempts."
 */
export const DESTINATION_RETRY_CAP = 10;

/**
 * Lambda retries with a backoff it does not document; locally: from `initialMs`, doubling per
 * attempt, capped at `maxMs`. Short enough for a developer to watch, long enough not to spin.
 */
export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000 } as const;

export interface RetryPolicy {
  /** Retries after the first attempt; null: until the record expires (infinite). */
  maxRetries: number | null;
  /** Records older than this (ms, by their Kafka timestamp) are discarded; null: never. */
  maxRecordAgeMs: number | null;
  /** Wait before retry number `attempt` (1-based). */
  backoffMs(attempt: number): number;
}

export function retryPolicyFor(
  settings: Pick<TriggerSettings, 'maximumRetryAttempts' | 'maximumRecordAgeInSeconds' | 'onFailureTopic'>,
  backoff: { initialMs: number; maxMs: number } = DEFAULT_BACKOFF,
): RetryPolicy {
  const infinite = settings.maximumRetryAttempts === -1;
  return {
    maxRetries: infinite
      ? settings.onFailureTopic === undefined
        ? null
        : DESTINATION_RETRY_CAP
      : settings.maximumRetryAttempts,
    maxRecordAgeMs:
      settings.maximumRecordAgeInSeconds === -1 ? null : settings.maximumRecordAgeInSeconds * 1000,
    backoffMs: (attempt) => Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1)),
  };
}
