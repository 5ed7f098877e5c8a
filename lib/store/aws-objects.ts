import { randomBytes } from 'node:crypto';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../core/errors';
import { errorName, httpStatusOf, toStoreError } from './aws-errors';
import type { StoreCost } from './store';

/**
 * The S3 side of the aws store: immutable, uniquely named JSON objects (snapshots, deltas,
 * outboxes). An object is written before the checkpoint item that references it, and never
 * overwritten, so a reader that found a key in an item reads exactly what that commit wrote.
 */
export type ObjectKind = 'snapshot' | 'delta' | 'outbox';

/**
 * An object a checkpoint references is gone. Objects are deleted only after a newer commit
 * dereferenced them, so the reader holds an old checkpoint: usually a fenced zombie.
 */
export class MissingObjectError extends StoreError {
  readonly key: string;
  constructor(bucket: string, key: string, cause: unknown) {
    super(
      `s3://${bucket}/${key} is referenced by the checkpoint but does not exist: a newer commit ` +
        'compacted the state and deleted it (a retry reads the newer checkpoint). If this persists, ' +
        "something outside Sluice deletes the bucket's objects: check its lifecycle rules",
      { retriable: true, cause },
    );
    this.key = key;
  }
}

/** S3's DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

export interface StateObjects {
  /** Writes a new object and returns its id (`<version>-<random>`). */
  put(
    objectPrefix: string,
    kind: ObjectKind,
    version: number,
    body: string,
    cost: StoreCost,
  ): Promise<string>;
  get(objectPrefix: string, kind: ObjectKind, id: string, cost: StoreCost): Promise<string>;
  /** Deletes objects by key; returns the number of requests made. */
  remove(keys: string[]): Promise<number>;
  key(objectPrefix: string, kind: ObjectKind, id: string): string;
}

export function createStateObjects(options: { s3: S3Client; bucket: string }): StateObjects {
  const { s3, bucket } = options;
  const key = (objectPrefix: string, kind: ObjectKind, id: string) => `${objectPrefix}${kind}/${id}.json`;

  return {
    key,

    async put(objectPrefix, kind, version, body, cost) {
      // 64 random bits: two attempts at the same version (a zombie and the owner) never collide,
      // which is what makes "already exists" below mean "my own earlier attempt".
      const id = `${version}-${randomBytes(8).toString('hex')}`;
      const objectKey = key(objectPrefix, kind, id);
      cost.objectPuts += 1;
      cost.bytes += Buffer.byteLength(body);
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: objectKey,
            Body: body,
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        // 412: the key exists. Only a retried attempt of this very PUT can have created it (the
        // SDK resent the request after losing the first response), so the content is ours.
        if (httpStatusOf(error) !== 412) {
          throw toStoreError(error, {
            service: 's3',
            operation: 'PutObject',
            resource: `s3://${bucket}/${objectKey}`,
          });
        }
      }
      return id;
    },

    async get(objectPrefix, kind, id, cost) {
      const objectKey = key(objectPrefix, kind, id);
      cost.objectGets += 1;
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
        if (!response.Body) throw new Error('empty response body');
        return await response.Body.transformToString('utf-8');
      } catch (error) {
        if (errorName(error) === 'NoSuchKey') throw new MissingObjectError(bucket, objectKey, error);
        throw toStoreError(error, {
          service: 's3',
          operation: 'GetObject',
          resource: `s3://${bucket}/${objectKey}`,
        });
      }
    },

    async remove(keys) {
      let requests = 0;
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        requests += 1;
        try {
          const response = await s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
            }),
          );
          const failed = response.Errors ?? [];
          if (failed.length > 0) {
            throw new StoreError(
              `S3 DeleteObjects left ${failed.length} of ${batch.length} objects in s3://${bucket} ` +
                `(first: ${failed[0]?.Key}: ${failed[0]?.Code})`,
            );
          }
        } catch (error) {
          throw toStoreError(error, {
            service: 's3',
            operation: 'DeleteObjects',
            resource: `s3://${bucket}`,
          });
        }
      }
      return requests;
    },
  };
}
