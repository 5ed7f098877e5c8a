import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { AWS_MAX_ATTEMPTS, createRetryStrategy, type RetryOptions } from './aws-retry';

/**
 * The AWS clients the store creates when none are injected.
 *
 * Endpoints come from the SDK's standard variables, which the SDK reads by itself:
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (and
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` turns them off). We only look at them to decide what
 * the SDK cannot guess: S3 emulators (moto, LocalStack) need path-style addressing, and a local
 * run may have no region.
 */
export type Env = Record<string, string | undefined>;

/** Emulators accept any region; this one is only used when an endpoint URL is configured. */
const LOCAL_REGION = 'us-east-1';

export function createAwsClients(
  env: Env = process.env,
  retry: RetryOptions = {},
): { dynamodb: DynamoDBClient; s3: S3Client } {
  const retryStrategy = createRetryStrategy(retry);
  const maxAttempts = retry.maxAttempts ?? AWS_MAX_ATTEMPTS;
  const s3Endpoint = configuredEndpoint(env, 'AWS_ENDPOINT_URL_S3');
  const anyEndpoint = s3Endpoint ?? configuredEndpoint(env, 'AWS_ENDPOINT_URL_DYNAMODB');
  // Without a region the SDK fails with "Region is missing"; the store maps that to a message
  // naming AWS_REGION, rather than silently picking one for real AWS.
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (anyEndpoint ? LOCAL_REGION : undefined);
  return {
    dynamodb: new DynamoDBClient({ region, retryStrategy, maxAttempts }),
    s3: new S3Client({ region, retryStrategy, maxAttempts, forcePathStyle: s3Endpoint !== undefined }),
  };
}

/** The endpoint the SDK will use for a service, from the service variable or the general one. */
export function configuredEndpoint(env: Env, serviceVariable: string): string | undefined {
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined;
  return env[serviceVariable] || env.AWS_ENDPOINT_URL || undefined;
}
