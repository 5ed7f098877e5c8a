import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  parseSavepoint,
  SAVEPOINT_FORMAT,
  type SavepointStore,
  type SavepointSummary,
  savepointExists,
  summarize,
} from '../core/savepoint';
import { errorName, toStoreError } from './aws-errors';
import type { Attributes } from './aws-item';
import type { StateObjects } from './aws-objects';

/**
 * Savepoints of the aws store: the content (state of every task) in one S3 object
 * `<prefix>.savepoints/<namespace>/<fn>/<name>-<random>.json` — outside the namespace's task
 * objects, so `sluice gc` never takes it for garbage — and one item in the checkpoint table,
 * `<namespace>/.savepoint/<fn>/<name>`, naming it: the item is the savepoint's existence (written
 * only if absent, so a name is never reused) and what `--list` reads.
 */
export function createAwsSavepoints(deps: {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  objects: StateObjects;
  table: string;
  bucket: string;
  prefix: string;
  namespace: string;
}): SavepointStore {
  const { dynamodb, s3, table, bucket } = deps;
  const pkOf = (fn: string, name: string) =>
    `${deps.namespace}/.savepoint/${encodeURIComponent(fn)}/${encodeURIComponent(name)}`;
  const fail = (operation: string, resource: string) => (error: unknown) => {
    throw toStoreError(error, {
      service: operation === 'PutObject' || operation === 'GetObject' ? 's3' : 'dynamodb',
      operation,
      resource,
    });
  };

  return {
    async put(savepoint) {
      const key = `${deps.prefix}.savepoints/${deps.namespace}/${encodeURIComponent(savepoint.fn)}/${savepoint.name}-${randomBytes(6).toString('hex')}.json`;
      await s3
        .send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(savepoint),
            ContentType: 'application/json',
          }),
        )
        .catch(fail('PutObject', `s3://${bucket}/${key}`));
      const summary = summarize(savepoint);
      try {
        await dynamodb.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: { S: pkOf(savepoint.fn, savepoint.name) },
              format: { S: SAVEPOINT_FORMAT },
              savepointOf: { S: savepoint.fn },
              name: { S: savepoint.name },
              topic: { S: savepoint.topic },
              createdAt: { N: String(savepoint.createdAt) },
              partitions: { N: String(summary.partitions) },
              stateKeys: { N: String(summary.stateKeys) },
              object: { S: key },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (errorName(error) === 'ConditionalCheckFailedException') {
          await deps.objects.remove([key]).catch(() => undefined);
          throw savepointExists(savepoint.fn, savepoint.name);
        }
        fail('PutItem', `table "${table}"`)(error);
      }
    },

    async get(fn, name) {
      const response = await dynamodb
        .send(
          new GetItemCommand({ TableName: table, Key: { pk: { S: pkOf(fn, name) } }, ConsistentRead: true }),
        )
        .catch(fail('GetItem', `table "${table}"`));
      const key = response.Item?.object?.S;
      if (key === undefined) return null;
      const object = await s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch(fail('GetObject', `s3://${bucket}/${key}`));
      return parseSavepoint((await object.Body?.transformToString('utf-8')) ?? '', `s3://${bucket}/${key}`);
    },

    async list(fn) {
      const summaries: SavepointSummary[] = [];
      let startKey: Attributes | undefined;
      do {
        const page = await dynamodb
          .send(
            new ScanCommand({
              TableName: table,
              FilterExpression: 'begins_with(#pk, :prefix)',
              ExpressionAttributeNames: { '#pk': 'pk' },
              ExpressionAttributeValues: {
                ':prefix': { S: `${deps.namespace}/.savepoint/${encodeURIComponent(fn)}/` },
              },
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          )
          .catch(fail('Scan', `table "${table}"`));
        for (const item of page.Items ?? []) {
          summaries.push({
            name: item.name?.S ?? '?',
            fn,
            topic: item.topic?.S ?? '?',
            createdAt: Number(item.createdAt?.N ?? 0),
            partitions: Number(item.partitions?.N ?? 0),
            stateKeys: Number(item.stateKeys?.N ?? 0),
          });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return summaries.sort((a, b) => b.createdAt - a.createdAt);
    },
  };
}
