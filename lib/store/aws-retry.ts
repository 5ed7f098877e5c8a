/**
 * Retry policy of the store's AWS clients: exponential backoff with full jitter.
 *
 * Why our own strategy rather than the SDK's `standard` mode with more attempts: the SDK keeps
 * deciding *what* is retriable (its classifier knows DynamoDB's `ProvisionedThroughputExceeded`,
 * `ThrottlingException`, `RequestLimitExceeded`, S3's `SlowDown`, 5xx, timeouts and connection
 * resets), and we decide *how often and how long*. The standard mode gives up after 3 attempts
 * and, once a client-wide retry quota is spent, stops retrying at all; a burst of on-demand
 * throttling would then fail whole Lambda invocations, whose retries send the whole batch
 * again: more load, not less. Owning the delays also lets tests run with no sleep.
 *
 * A retried request may already have been applied (its response was lost). The store handles
 * that where it matters: a retried conditional write recognises its own item by `commitId`, a
 * retried `If-None-Match` PUT treats "already exists" as its own earlier attempt.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

/**
 * Attempts per request, the first included. The 9 waits are capped at 50 ms, 100 ms, ... 3.2 s,
 * 5 s, 5 s: at most ~16 s in all (~8 s on average), well inside a Kafka-triggered Lambda's timeout,
 * and long enough for on-demand capacity to catch up with a burst.
 */
export const AWS_MAX_ATTEMPTS = 10;
/** First backoff ceiling; DynamoDB's guidance starts retries of throttled requests at ~50 ms. */
export const RETRY_BASE_DELAY_MS = 50;
/** No single wait longer than this: a Lambda invocation has minutes, not hours. */
export const RETRY_MAX_DELAY_MS = 5_000;

/** How the SDK classified a failed attempt (the `RetryErrorType` of `@smithy/types`). */
export type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

export interface RetryErrorInfo {
  errorType: RetryErrorType;
  error?: { $metadata?: { httpStatusCode?: number } } | undefined;
  retryAfterHint?: Date;
}

export interface RetryToken {
  getRetryCount(): number;
  /** the SDK's retry middleware sleeps this long before the next attempt */
  getRetryDelay(): number;
}

/** Structurally the SDK's `RetryStrategyV2`; pass it as `retryStrategy` to any v3 client. */
export interface StoreRetryStrategy {
  readonly mode: 'sluice-backoff';
  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

export interface RetryOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** uniform in [0, 1); injected so tests can make the delays zero or deterministic */
  random?: () => number;
  /** epoch ms, to turn a server's `Retry-After` hint into a wait */
  now?: () => number;
}

/** Full jitter: a wait drawn uniformly below `min(max, base * 2^retry)`; `retry` starts at 0. */
export function backoffDelayMs(retry: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? RETRY_BASE_DELAY_MS;
  const max = options.maxDelayMs ?? RETRY_MAX_DELAY_MS;
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(max, base * 2 ** retry));
}

/**
 * @example
 * const dynamodb = new DynamoDBClient({ retryStrategy: createRetryStrategy(), maxAttempts: AWS_MAX_ATTEMPTS });
 */
export function createRetryStrategy(options: RetryOptions = {}): StoreRetryStrategy {
  const maxAttempts = options.maxAttempts ?? AWS_MAX_ATTEMPTS;
  const maxDelay = options.maxDelayMs ?? RETRY_MAX_DELAY_MS;
  const now = options.now ?? Date.now;

  return {
    mode: 'sluice-backoff',
    async acquireInitialRetryToken() {
      return token(0, 0);
    },
    async refreshRetryTokenForRetry(previous, errorInfo) {
      const retries = previous.getRetryCount();
      if (!isRetriable(errorInfo) || retries + 1 >= maxAttempts) {
        // The SDK's middleware rethrows the request's own error (with $metadata.attempts) on refusal.
        throw new Error('no retry: not retriable or attempts exhausted');
      }
      let delay = backoffDelayMs(retries, options);
      if (errorInfo.retryAfterHint) {
        // The server asked for a pause: honour it, within the same ceiling.
        delay = Math.max(delay, Math.min(maxDelay, errorInfo.retryAfterHint.getTime() - now()));
      }
      return token(retries + 1, delay);
    },
    recordSuccess() {},
  };
}

function isRetriable(errorInfo: RetryErrorInfo): boolean {
  if (errorInfo.errorType === 'THROTTLING' || errorInfo.errorType === 'TRANSIENT') return true;
  // Other 5xx (the SDK lists 500/502/503/504 as transient already); 501 means "not implemented":
  // asking again cannot help (an emulator missing a feature answers that).
  return errorInfo.errorType === 'SERVER_ERROR' && errorInfo.error?.$metadata?.httpStatusCode !== 501;
}

function token(retryCount: number, delay: number): RetryToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay };
}
