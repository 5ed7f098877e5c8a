/**
 * A fresh DynamoDB table and S3 bucket on the local stack (DynamoDB Local, moto) for one
 * benchmark, with clients that also count the bytes they receive (the store counts what it sends).
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createAwsClients } from '../../lib/store/aws-clients';
import { ensureAwsResources } from '../../lib/store/aws-setup';

export interface BenchAws {
  table: string;
  bucket: string;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  /** bytes of response bodies received so far (Content-Length), all requests */
  received(): number;
  cleanup(): Promise<void>;
}

export async function createBenchAws(): Promise<BenchAws> {
  const name = `sluice-bench-${randomUUID().slice(0, 18)}`;
  const { dynamodb, s3 } = createAwsClients();
  let received = 0;
  for (const client of [dynamodb, s3] as const) {
    (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
      (next: (args: unknown) => Promise<{ response: { headers?: Record<string, string> } }>) =>
        async (args: unknown) => {
          const result = await next(args);
          received += Number(result.response.headers?.['content-length'] ?? 0);
          return result;
        },
      { step: 'deserialize', name: 'benchReceivedBytes' },
    );
  }
  await ensureAwsResources({ table: name, bucket: name, dynamodb, s3 });
  return {
    table: name,
    bucket: name,
    dynamodb,
    s3,
    received: () => received,
    async cleanup() {
      await dynamodb.send(new DeleteTableCommand({ TableName: name })).catch(() => {});
      try {
        for (;;) {
          const page = await s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 }));
          const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
          if (keys.length === 0) break;
          await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
        }
        await s3.send(new DeleteBucketCommand({ Bucket: name }));
      } catch {
        // best effort: moto is in memory and reset with the stack
      }
      dynamodb.destroy();
      s3.destroy();
    },
  };
}
