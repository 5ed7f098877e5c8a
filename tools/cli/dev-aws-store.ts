import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../lib/core/errors';
import { configuredEndpoint, createAwsClients } from '../../lib/store/aws-clients';
import { toStoreError } from '../../lib/store/aws-errors';
import { ensureAwsResources } from '../../lib/store/aws-setup';

/** Names `sluice dev --store aws` uses against a local endpoint when SLUICE_TABLE/SLUICE_BUCKET are unset. */
export const DEV_TABLE = 'sluice-dev';
export const DEV_BUCKET = 'sluice-dev';

export interface DevAwsStoreDeps {
  createAwsClients: typeof createAwsClients;
  ensureAwsResources: typeof ensureAwsResources;
}

/**
 * Makes the aws store usable before `sluice dev` delivers a batch, so a missing table or bucket is
 * said once, at start, instead of failing every batch:
 *
 * - against local endpoints (`AWS_ENDPOINT_URL_DYNAMODB`/`_S3`, or `AWS_ENDPOINT_URL`, not on
 *   amazonaws.com: DynamoDB Local, moto, LocalStack), creates what is missing, as the walkthrough
 *   does, defaulting the names to `sluice-dev`;
 * - against AWS (no endpoint variable), only checks: there the table and bucket are resources of
 *   the deployment, so a missing one is an error naming what was looked for and where.
 *
 * Sets SLUICE_TABLE/SLUICE_BUCKET in `env` when it picked the defaults. Returns a line to print.
 */
export async function prepareDevAwsStore(
  env: NodeJS.ProcessEnv,
  deps: DevAwsStoreDeps = { createAwsClients, ensureAwsResources },
): Promise<string> {
  const endpoints = {
    dynamodb: configuredEndpoint(env, 'AWS_ENDPOINT_URL_DYNAMODB'),
    s3: configuredEndpoint(env, 'AWS_ENDPOINT_URL_S3'),
  };
  const local = isLocal(endpoints.dynamodb) && isLocal(endpoints.s3);
  if (local) {
    env.SLUICE_TABLE ||= DEV_TABLE;
    env.SLUICE_BUCKET ||= DEV_BUCKET;
  } else if (!env.SLUICE_TABLE || !env.SLUICE_BUCKET) {
    throw new ConfigError(
      `sluice dev --store aws against AWS needs SLUICE_TABLE and SLUICE_BUCKET: the checkpoint table and state bucket ` +
        'of your deployment (its CloudFormation outputs), or point AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_S3 ' +
        'at a local stack (`sluice stack up`), where sluice dev creates them',
    );
  }
  const table = env.SLUICE_TABLE!;
  const bucket = env.SLUICE_BUCKET!;
  const clients = deps.createAwsClients(env);
  try {
    if (local) {
      const made = await deps.ensureAwsResources({ table, bucket, ...clients });
      const say = (created: boolean) => (created ? 'created' : 'found');
      return (
        `aws store (local): ${say(made.tableCreated)} DynamoDB table "${table}" at ${endpoints.dynamodb}, ` +
        `${say(made.bucketCreated)} S3 bucket "${bucket}" at ${endpoints.s3}`
      );
    }
    const region = (await clients.dynamodb.config.region()) ?? 'the default region';
    await Promise.all([
      checkTable(clients.dynamodb, table, region, endpoints.dynamodb),
      checkBucket(clients.s3, bucket, region, endpoints.s3),
    ]);
    return `aws store: DynamoDB table "${table}" and S3 bucket "${bucket}" of the deployment (AWS, ${region})`;
  } finally {
    clients.dynamodb.destroy();
    clients.s3.destroy();
  }
}

/** An emulator: an endpoint URL that is not one of AWS's own hosts. */
function isLocal(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    return !/(^|\.)amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);
  } catch {
    throw new ConfigError(`AWS endpoint "${endpoint}" is not a URL: set it like http://127.0.0.1:28000`);
  }
}

const DEPLOYMENT_HINT =
  'On AWS it is created by the deployment (`sls deploy`, see docs/deploy.md), not by sluice dev';

async function checkTable(dynamodb: DynamoDBClient, table: string, region: string, endpoint?: string) {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new ConfigError(
        `DynamoDB table "${table}" (SLUICE_TABLE) does not exist in ${region}${endpoint ? ` at ${endpoint}` : ''}. ` +
          `${DEPLOYMENT_HINT}: set SLUICE_TABLE to the deployed table's name (the CheckpointTable output), ` +
          'or run against the local stack (AWS_ENDPOINT_URL_DYNAMODB), where sluice dev creates it',
      );
    }
    throw toStoreError(error, {
      service: 'dynamodb',
      operation: 'DescribeTable',
      resource: `table "${table}"`,
    });
  }
}

async function checkBucket(s3: S3Client, bucket: string, region: string, endpoint?: string) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) {
      throw new ConfigError(
        `S3 bucket "${bucket}" (SLUICE_BUCKET) does not exist${endpoint ? ` at ${endpoint}` : ` (AWS, ${region})`}. ` +
          `${DEPLOYMENT_HINT}: set SLUICE_BUCKET to the deployed bucket's name (the StateBucket output), ` +
          'or run against the local stack (AWS_ENDPOINT_URL_S3), where sluice dev creates it',
      );
    }
    throw toStoreError(error, { service: 's3', operation: 'HeadBucket', resource: `s3://${bucket}` });
  }
}
