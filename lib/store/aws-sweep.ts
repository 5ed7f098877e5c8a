import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { toStoreError } from './aws-errors';

/**
 * The aws store's one leak, swept: a commit writes its S3 objects before the conditional item
 * write that references them, so an invocation that dies in between (or loses its write after
 * a retried attempt) leaves objects no checkpoint references. Nothing can tell them from live
 * state but the items themselves, hence this sweep rather than a lifecycle rule.
 *
 * Safe order: list the objects first, then read each task's item. An object older than
 * `minAgeMs` that the current item does not reference can never be referenced again: only a
 * commit in flight adds references to new objects (younger than any invocation's timeout),
 * and a commit built on an older version is refused by the version condition.
 */
export interface SweepOptions {
  /** Only this function's tasks (default: every task under the store's prefix). */
  fn?: string;
  /** Objects younger than this are kept (a commit may be about to reference them). */
  minAgeMs: number;
  /** Report only; delete nothing. */
  dryRun?: boolean;
  now?: number;
}

export interface SweptObject {
  key: string;
  bytes: number;
  lastModified: string;
}

export interface SweepResult {
  /** objects listed under the prefix */
  objects: number;
  /** of those, referenced by their task's checkpoint item */
  referenced: number;
  /** unreferenced and younger than minAgeMs: kept */
  young: number;
  /** unreferenced and old enough: deleted, or to delete in a dry run */
  orphans: SweptObject[];
  deleted: number;
}

/** Lambda's longest timeout: a commit's objects and its item write are never further apart. */
export const LAMBDA_MAX_TIMEOUT_MS = 15 * 60_000;

export interface SweepDeps {
  s3: S3Client;
  bucket: string;
  /** the store's object prefix (`sluice/`); a task's objects are under `<prefix><taskKey>/` */
  prefix: string;
  /** The object keys a task's current item references (none when it has no item). */
  referencedKeys(taskKey: string): Promise<string[]>;
  remove(keys: string[]): Promise<number>;
}

export async function sweepOrphans(deps: SweepDeps, options: SweepOptions): Promise<SweepResult> {
  if (!Number.isFinite(options.minAgeMs) || options.minAgeMs < 0) {
    throw new RangeError(`minAgeMs must be a non-negative number of milliseconds, got ${options.minAgeMs}`);
  }
  const now = options.now ?? Date.now();
  const prefix = options.fn === undefined ? deps.prefix : `${deps.prefix}${encodeURIComponent(options.fn)}/`;
  const listed = await listObjects(deps, prefix);

  const byTask = new Map<string, typeof listed>();
  for (const object of listed) {
    const task = taskKeyOf(object.key, deps.prefix);
    if (task === null) continue; // not written by the store: not ours to judge
    const objects = byTask.get(task);
    if (objects) objects.push(object);
    else byTask.set(task, [object]);
  }

  const result: SweepResult = { objects: listed.length, referenced: 0, young: 0, orphans: [], deleted: 0 };
  for (const [task, objects] of byTask) {
    const referenced = new Set(await deps.referencedKeys(task));
    for (const object of objects) {
      if (referenced.has(object.key)) result.referenced++;
      else if (now - object.modifiedMs < options.minAgeMs) result.young++;
      else {
        result.orphans.push({
          key: object.key,
          bytes: object.bytes,
          lastModified: new Date(object.modifiedMs).toISOString(),
        });
      }
    }
  }
  if (!options.dryRun && result.orphans.length > 0) {
    await deps.remove(result.orphans.map((orphan) => orphan.key));
    result.deleted = result.orphans.length;
  }
  return result;
}

/** `<prefix><fn>/<topic>/<partition>/<kind>/<id>.json` → `<fn>/<topic>/<partition>`. */
function taskKeyOf(key: string, prefix: string): string | null {
  if (!key.startsWith(prefix)) return null;
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 5 || !['snapshot', 'delta', 'outbox'].includes(parts[3]!)) return null;
  return parts.slice(0, 3).join('/');
}

async function listObjects(
  deps: SweepDeps,
  prefix: string,
): Promise<Array<{ key: string; bytes: number; modifiedMs: number }>> {
  const objects: Array<{ key: string; bytes: number; modifiedMs: number }> = [];
  let token: string | undefined;
  do {
    const page = await deps.s3
      .send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: prefix, ContinuationToken: token }))
      .catch((error: unknown) => {
        throw toStoreError(error, {
          service: 's3',
          operation: 'ListObjectsV2',
          resource: `s3://${deps.bucket}/${prefix}`,
        });
      });
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined) continue;
      objects.push({
        key: object.Key,
        bytes: object.Size ?? 0,
        // No modification time: treated as brand new (kept).
        modifiedMs: object.LastModified?.getTime() ?? Number.POSITIVE_INFINITY,
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
