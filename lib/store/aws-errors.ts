import { messageOf, StoreError } from '../core/errors';

/**
 * Maps AWS SDK errors to `StoreError` at the store's boundary: what failed, and what to check.
 * Retries have already happened inside the SDK client (see `aws-retry.ts`) by the time an
 * error gets here, so `retriable` tells whether a later invocation may succeed, not this one.
 */
export interface AwsCallSite {
  service: 'dynamodb' | 's3';
  /** e.g. `PutItem`, `GetObject` */
  operation: string;
  /** e.g. `table "sluice-checkpoints"`, `s3://bucket/key` */
  resource: string;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'MissingAuthenticationToken',
  'AccessDenied',
  'AccessDeniedException',
]);

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'SlowDown',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function toStoreError(error: unknown, site: AwsCallSite): StoreError {
  if (error instanceof StoreError) return error;
  const name = errorName(error);
  const service = site.service === 'dynamodb' ? 'DynamoDB' : 'S3';
  const what = `${service} ${site.operation} on ${site.resource} failed: ${name}: ${messageOf(error)}`;
  const attempts = attemptsOf(error);

  if (name === 'ResourceNotFoundException') {
    return fail(
      `${what}. The table does not exist at ${endpointOf(site.service)}: check SLUICE_TABLE (or the store's table option) and the region (AWS_REGION); locally, start the stack (npm run stack:up)`,
      false,
    );
  }
  if (name === 'NoSuchBucket') {
    return fail(
      `${what}. The bucket does not exist at ${endpointOf(site.service)}: check SLUICE_BUCKET (or the store's bucket option); locally, start the stack (npm run stack:up)`,
      false,
    );
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return fail(
      `${what}. Check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE, the Lambda role's permissions on the table and bucket) and that ${endpointOf(site.service)} is the intended endpoint`,
      false,
    );
  }
  if (/region is missing/i.test(messageOf(error))) {
    return fail(`${what}. Set AWS_REGION (Lambda sets it; local runs must)`, false);
  }
  if (THROTTLING_ERRORS.has(name)) {
    return fail(
      `${what}. Still throttled after ${attempts ?? 'all'} attempts: the table or bucket prefix is over its capacity; the batch will be retried`,
      true,
    );
  }
  if (NETWORK_ERROR_CODES.has(codeOf(error) ?? '') || NETWORK_ERROR_CODES.has(name)) {
    return fail(
      `${what}. Cannot reach ${endpointOf(site.service)}: check the endpoint variable and the network; locally, start the stack (npm run stack:up)`,
      true,
    );
  }
  if (name === 'ValidationException' || name === 'InvalidRequest') {
    return fail(
      `${what}. The request was rejected as invalid; this is a Sluice bug unless an emulator lacks the feature`,
      false,
    );
  }
  return fail(
    `${what}. Check ${endpointOf(site.service)} and the service health; the batch will be retried`,
    true,
  );

  function fail(message: string, retriable: boolean): StoreError {
    return new StoreError(message, { retriable, cause: error });
  }
}

export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

/** How many attempts the SDK made (set by its retry middleware), when known. */
export function attemptsOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { attempts?: number } } | null)?.$metadata;
  return metadata?.attempts;
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Names the endpoint the SDK resolves from the standard variables, for messages. */
function endpointOf(service: AwsCallSite['service']): string {
  const variable = service === 'dynamodb' ? 'AWS_ENDPOINT_URL_DYNAMODB' : 'AWS_ENDPOINT_URL_S3';
  const specific = process.env[variable];
  if (specific) return `${specific} (${variable})`;
  const general = process.env.AWS_ENDPOINT_URL;
  if (general) return `${general} (AWS_ENDPOINT_URL)`;
  return `the AWS endpoint of region ${process.env.AWS_REGION ?? '(AWS_REGION unset)'} (${variable} unset)`;
}
