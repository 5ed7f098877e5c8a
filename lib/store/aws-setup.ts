import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { toStoreError } from './aws-errors';

/**
 * Creates the aws store's table and bucket when missing: for the local stack and tests. In AWS
 * they are CloudFormation resources of the serverless stack. Idempotent.
 *
 * No bucket lifecycle rule is needed by the store: it deletes the objects it dereferences itself
 * (see `aws.ts`), and nothing tells a crash's orphan from live state by age or tag.
 *
 * @example
 * const { dynamodb, s3 } = createAwsClients();
 * await ensureAwsResources({ table: 'sluice-checkpoints', bucket: 'sluice-state', dynamodb, s3 });
 */
export async function ensureAwsResources(options: {
  table: string;
  bucket: string;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  /** how long to wait for a new table to become ACTIVE (DynamoDB Local: instant) */
  maxWaitSeconds?: number;
}): Promise<{ tableCreated: boolean; bucketCreated: boolean }> {
  const [tableCreated, bucketCreated] = await Promise.all([ensureTable(options), ensureBucket(options)]);
  return { tableCreated, bucketCreated };
}

async function ensureTable(options: { table: string; dynamodb: DynamoDBClient; maxWaitSeconds?: number }) {
  const { table, dynamodb } = options;
  const site = { service: 'dynamodb', resource: `table "${table}"` } as const;
  let created = false;
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    created = true;
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException')
      throw toStoreError(error, { ...site, operation: 'CreateTable' });
  }
  try {
    await waitUntilTableExists(
      { client: dynamodb, maxWaitTime: options.maxWaitSeconds ?? 60 },
      { TableName: table },
    );
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    const key = Table?.KeySchema ?? [];
    if (key.length !== 1 || key[0]?.AttributeName !== 'pk') {
      throw new Error(`its key is ${JSON.stringify(key)}, the aws store needs a single string hash key "pk"`);
    }
  } catch (error) {
    throw toStoreError(error, { ...site, operation: 'DescribeTable' });
  }
  return created;
}

async function ensureBucket(options: { bucket: string; s3: S3Client }) {
  const { bucket, s3 } = options;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404)
      throw toStoreError(error, { service: 's3', operation: 'HeadBucket', resource: `s3://${bucket}` });
  }
  const region = await s3.config.region();
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region that rejects an explicit location constraint.
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    return true;
  } catch (error) {
    // Another ensureAwsResources won the race: fine. "BucketAlreadyExists" means someone else's
    // bucket (names are global), which is an error.
    if ((error as Error).name === 'BucketAlreadyOwnedByYou') return false;
    throw toStoreError(error, { service: 's3', operation: 'CreateBucket', resource: `s3://${bucket}` });
  }
}
