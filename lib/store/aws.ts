import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type Checkpoint,
  type CommitRequest,
  checkpointOfCommit,
  isCommitBase,
  type LoadedCheckpoint,
  type StoreBase,
} from '../core/checkpoint';
import { CheckpointConflictError } from '../core/errors';
import { parseTaskKey, type TaskId, taskKey, taskName } from '../core/task';
import { createAwsClients } from './aws-clients';
import { attemptsOf, errorName, toStoreError } from './aws-errors';
import { type Attributes, type CheckpointItem, checkpointOf, fromAttributes, toAttributes } from './aws-item';
import { createStateObjects, MissingObjectError } from './aws-objects';
import { type AwsStoreOptions, validateAwsStoreOptions } from './aws-options';
import { createOutboxes } from './aws-outbox';
import { createAwsSavepoints } from './aws-savepoints';
import { createStateLayout, type KnownState, type StateWriteKind } from './aws-state';
import { type SweepOptions, type SweepResult, sweepOrphans } from './aws-sweep';
import type { CommitResult, Store, StoreCost } from './store';
import { zeroCost } from './store';

/*
 * The `aws` store: checkpoints in DynamoDB, large state in S3 (DESIGN.md section 4, Storage).
 *
 * Costs, per partition task:
 * - warm commit (the caller hands back the `StoreBase` of the version it builds on): exactly one
 *   conditional PutItem (no read), plus one S3 PUT when the state is spilled and the batch
 *   changed it (or when the outbox is too big for the item);
 * - merging commit (every `deltaFanIn`-th spilled commit): reads back the chain's last deltas,
 *   writes one merged delta instead of its own, deletes what it replaced (see `aws-state.ts`);
 * - compaction commit (when the chain outweighs the snapshot, or would exceed
 *   `compactAfterDeltas`): reads back the snapshot and chain, writes one snapshot, deletes what
 *   it replaced;
 * - load (cold start): one consistent GetItem, plus the snapshot and delta GETs when spilled;
 *   a commit without the base of its version reads the item only.
 *
 * The store keeps nothing between calls (no cache to invalidate, safe to share between
 * concurrent invocations): what it knows of a version travels in the base it hands out.
 *
 * Garbage: objects are immutable and unique, so no reader can ever see a wrong one, only a
 * missing one, which fails retriably (the retry reads the newer checkpoint). That makes deleting
 * safe as soon as the commit that dereferences them has succeeded: compaction deletes the old
 * snapshot and chain (one DeleteObjects), a merge the deltas it merged, a commit deletes the
 * previous outbox object, reset deletes everything the item referenced, and a commit that lost
 * the conditional write deletes the objects it had just written, but only if the write was
 * attempted once (after a retried write, our item may have landed and been built on). The one
 * leak: a process that dies between its PUT and its write leaves an object no item references,
 * which no lifecycle rule can tell apart from live state: `sweep` (`sluice gc`) deletes objects
 * older than a given age that their task's item does not reference (aws-sweep.ts).
 */

export type { AwsStoreOptions } from './aws-options';

export interface AwsCommitResult extends CommitResult {
  /** how the state change was written: in the item, as a delta object, as a snapshot object, or not at all */
  stateWrite: StateWriteKind;
  /** the commit compacted a spilled state (read back snapshot and chain) */
  compacted: boolean;
  /** deltas the commit read back and merged with its own into one (0: none) */
  merged: number;
}

/** Running totals since the store was created. */
export interface AwsStoreStats extends StoreCost {
  loads: number;
  commits: number;
  conflicts: number;
  compactions: number;
  /** DeleteObjects requests (garbage collection) */
  objectDeletes: number;
  /** objects that should have been deleted but a delete failed: leaked */
  objectsLeaked: number;
}

export interface AwsStore extends Store {
  readonly kind: 'aws';
  commit(request: CommitRequest): Promise<AwsCommitResult>;
  stats(): AwsStoreStats;
  /** Deletes objects no checkpoint references (see aws-sweep.ts); `sluice gc`. */
  sweep(options: SweepOptions): Promise<SweepResult>;
}

/** What the store remembers of a task between calls (the version it last loaded or committed). */
interface KnownTask {
  version: number;
  objectPrefix: string;
  /** key of the current item's outbox object, deleted when the next commit replaces it */
  outboxKey: string | null;
  state: KnownState;
}

/** The store base (core/checkpoint.ts StoreBase) of this store: what it knows of a version. */
function asBase(task: KnownTask): StoreBase {
  return task as unknown as StoreBase;
}

function fromBase(base: StoreBase | undefined): KnownTask | undefined {
  return (base ?? undefined) as unknown as KnownTask | undefined;
}

/**
 * Creates the DynamoDB + S3 checkpoint store.
 *
 * @example
 * const store = createAwsStore({ table: 'sluice-checkpoints', bucket: 'my-sluice-state' });
 * const loaded = await store.load({ fn: 'word-count', topic: 'sentences', partition: 0 });
 * const { checkpoint, cost } = await store.commit({
 *   task: { fn: 'word-count', topic: 'sentences', partition: 0 },
 *   expectedVersion: loaded?.checkpoint.version ?? 0,
 *   next: 42,
 *   delta: { set: [['counts/hello', 3]], del: [] },
 *   stateKeys: 1,
 *   outbox: null,
 *   committedAt: Date.now(),
 * });
 */
export function createAwsStore(options: AwsStoreOptions): AwsStore {
  const config = validateAwsStoreOptions(options);
  // The SDK reads endpoints from process.env itself, so the clients' other settings must too.
  const created = options.dynamodb && options.s3 ? null : createAwsClients(process.env, { now: options.now });
  const dynamodb = options.dynamodb ?? created!.dynamodb;
  const s3 = options.s3 ?? created!.s3;
  const { table } = config;
  // Item keys `<namespace>/<fn>/<topic>/<partition>`; objects under `<prefix><namespace>/...`.
  const keyOf = (task: TaskId) => `${config.namespace}/${taskKey(task)}`;
  const objectRoot = `${config.prefix}${config.namespace}/`;
  const objects = createStateObjects({ s3, bucket: config.bucket });
  const layout = createStateLayout({
    objects,
    inlineStateLimitBytes: config.inlineStateLimitBytes,
    compactAfterDeltas: config.compactAfterDeltas,
    deltaFanIn: config.deltaFanIn,
    chainToSnapshotRatio: config.chainToSnapshotRatio,
  });
  const outboxes = createOutboxes(objects);
  const totals: AwsStoreStats = {
    ...zeroCost(),
    loads: 0,
    commits: 0,
    conflicts: 0,
    compactions: 0,
    objectDeletes: 0,
    objectsLeaked: 0,
  };

  async function dynamo<T>(
    operation: string,
    cost: StoreCost,
    input: object,
    send: () => Promise<T>,
  ): Promise<T> {
    cost.bytes += Buffer.byteLength(JSON.stringify(input));
    try {
      return await send();
    } catch (error) {
      throw toStoreError(error, { service: 'dynamodb', operation, resource: `table "${table}"` });
    }
  }

  /** Best effort: a failed delete leaks storage, never correctness; counted in stats. */
  async function deleteGarbage(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      totals.objectDeletes += await objects.remove(keys);
    } catch {
      totals.objectsLeaked += keys.length;
    }
  }

  async function readItem(task: TaskId, cost: StoreCost): Promise<CheckpointItem | null> {
    const input = { TableName: table, Key: { pk: { S: keyOf(task) } }, ConsistentRead: true };
    cost.reads += 1;
    const response = await dynamo('GetItem', cost, input, () => dynamodb.send(new GetItemCommand(input)));
    return response.Item ? fromAttributes(response.Item) : null;
  }

  /** The checkpoint, the materialised state, and what to remember to commit on top of it. */
  async function readTask(task: TaskId, cost: StoreCost): Promise<LoadedCheckpoint | null> {
    const item = await readItem(task, cost);
    if (!item) return null;
    const state = await layout.read(item.objectPrefix, item.state, cost);
    const checkpoint = checkpointOf(item, await outboxes.read(item, cost));
    const remembered: KnownTask = {
      version: item.version,
      objectPrefix: item.objectPrefix,
      outboxKey: outboxes.keyOf(item),
      state: layout.remember(item.state),
    };
    return { checkpoint, state, base: asBase(remembered) };
  }

  async function currentCheckpoint(task: TaskId, cost: StoreCost): Promise<Checkpoint | null> {
    const item = await readItem(task, cost);
    return item ? checkpointOf(item, await outboxes.read(item, cost)) : null;
  }

  /** The task as of `expectedVersion`: the caller's base on the warm path, else read from the item. */
  async function baseOf(request: CommitRequest, cost: StoreCost): Promise<KnownTask> {
    const remembered = fromBase(request.base);
    if (request.expectedVersion === 0) {
      return {
        version: 0,
        objectPrefix: `${objectRoot}${taskKey(request.task)}/`,
        outboxKey: null,
        state: { kind: 'inline', state: new Map() },
      };
    }
    if (remembered?.version === request.expectedVersion) return remembered;
    // A commit without the base of its version (a caller that does not keep it, a batch beside
    // another on one warm entry, the scheduled flush): learn where the state lives from the
    // item alone; the objects are read only if this commit compacts.
    const item = await readItem(request.task, cost);
    if (!item || !isCommitBase(item, request)) {
      totals.conflicts += 1;
      const current = item ? checkpointOf(item, await outboxes.read(item, cost)) : null;
      throw new CheckpointConflictError(taskName(request.task), request.expectedVersion, current);
    }
    return {
      version: item.version,
      objectPrefix: item.objectPrefix,
      outboxKey: outboxes.keyOf(item),
      state: layout.remember(item.state),
    };
  }

  async function commit(request: CommitRequest): Promise<AwsCommitResult> {
    const cost = zeroCost();
    try {
      return await commitWith(request, cost);
    } finally {
      addCost(totals, cost);
    }
  }

  async function commitWith(request: CommitRequest, cost: StoreCost): Promise<AwsCommitResult> {
    const pk = keyOf(request.task);
    const base = await baseOf(request, cost);
    const version = request.expectedVersion + 1;
    const commitId = randomBytes(8).toString('hex');
    const stateWrite = await layout
      .write(base.state, request.delta, version, base.objectPrefix, cost)
      .catch(async (error: unknown) => {
        // Compaction read an object a newer commit has deleted: this commit builds on an old
        // version. One read tells the caller which checkpoint fenced it.
        if (error instanceof MissingObjectError) {
          const current = await currentCheckpoint(request.task, cost);
          if (!isCommitBase(current, request)) {
            totals.conflicts += 1;
            throw new CheckpointConflictError(taskName(request.task), request.expectedVersion, current);
          }
        }
        throw error;
      });
    const written = [...stateWrite.written];

    const item: CheckpointItem = {
      pk,
      task: { fn: request.task.fn, topic: request.task.topic, partition: request.task.partition },
      version,
      next: request.next,
      stateKeys: request.stateKeys,
      committedAt: request.committedAt,
      commitId,
      epoch: request.epoch ?? 0,
      last: request.last ?? null,
      objectPrefix: base.objectPrefix,
      state: stateWrite.item,
      outbox: { kind: 'none' },
    };
    item.outbox = await outboxes.place(item, request.outbox, cost, written);

    const input = {
      TableName: table,
      Item: toAttributes(item),
      ...commitCondition(request),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    cost.writes += 1;
    cost.bytes += Buffer.byteLength(JSON.stringify(input));
    try {
      await dynamodb.send(new PutItemCommand(input));
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') {
        throw toStoreError(error, {
          service: 'dynamodb',
          operation: 'PutItem',
          resource: `table "${table}"`,
        });
      }
      const current = (error as { Item?: Attributes }).Item;
      const holder = current ? fromAttributes(current) : null;
      // Our own item: an earlier attempt of this request was applied and its response lost.
      if (holder?.commitId !== commitId) {
        totals.conflicts += 1;
        // Attempted once and refused: our item never existed, so nothing references what we wrote.
        if (attemptsOf(error) === 1) await deleteGarbage(written);
        const checkpoint = holder ? checkpointOf(holder, await outboxes.read(holder, cost)) : null;
        throw new CheckpointConflictError(taskName(request.task), request.expectedVersion, checkpoint);
      }
    }

    totals.commits += 1;
    if (stateWrite.compacted) totals.compactions += 1;
    const outboxKey =
      item.outbox.kind === 's3' ? objects.key(base.objectPrefix, 'outbox', item.outbox.id) : null;
    await deleteGarbage([...stateWrite.dereferenced, ...(base.outboxKey ? [base.outboxKey] : [])]);
    return {
      checkpoint: checkpointOfCommit(request, commitId),
      cost,
      base: asBase({ version, objectPrefix: base.objectPrefix, outboxKey, state: stateWrite.known }),
      stateWrite: stateWrite.kind,
      compacted: stateWrite.compacted,
      merged: stateWrite.merged,
    };
  }

  return {
    kind: 'aws',

    async load(task) {
      const cost = zeroCost();
      totals.loads += 1;
      try {
        return await readTask(task, cost);
      } finally {
        addCost(totals, cost);
      }
    },

    commit,

    async peek(task) {
      const cost = zeroCost();
      try {
        return await currentCheckpoint(task, cost);
      } finally {
        addCost(totals, cost);
      }
    },

    async list(fn) {
      const cost = zeroCost();
      const tasks: TaskId[] = [];
      let startKey: Attributes | undefined;
      try {
        do {
          const input = {
            TableName: table,
            ProjectionExpression: '#fn, #topic, #partition',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#fn': 'fn',
              '#topic': 'topic',
              '#partition': 'partition',
            },
            // This deployment's tasks only: a table may be shared by several.
            FilterExpression: `begins_with(#pk, :ns)${fn === undefined ? '' : ' AND #fn = :fn'}`,
            ExpressionAttributeValues: {
              ':ns': { S: `${config.namespace}/` },
              ...(fn === undefined ? {} : { ':fn': { S: fn } }),
            },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          };
          cost.reads += 1;
          const page = await dynamo('Scan', cost, input, () => dynamodb.send(new ScanCommand(input)));
          for (const row of page.Items ?? []) {
            if (row.fn?.S === undefined || row.topic?.S === undefined || row.partition?.N === undefined)
              continue;
            tasks.push({ fn: row.fn.S, topic: row.topic.S, partition: Number(row.partition.N) });
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
      } finally {
        addCost(totals, cost);
      }
      return tasks.sort(compareTasks);
    },

    async reset(task) {
      const cost = zeroCost();
      const pk = keyOf(task);
      const input = { TableName: table, Key: { pk: { S: pk } }, ReturnValues: 'ALL_OLD' as const };
      cost.writes += 1;
      try {
        const response = await dynamo('DeleteItem', cost, input, () =>
          dynamodb.send(new DeleteItemCommand(input)),
        );
        if (response.Attributes) await deleteGarbage(referencedKeys(fromAttributes(response.Attributes)));
      } finally {
        addCost(totals, cost);
      }
    },

    savepoints: createAwsSavepoints({
      dynamodb,
      s3,
      objects,
      table,
      bucket: config.bucket,
      prefix: config.prefix,
      namespace: config.namespace,
    }),

    async close() {
      // Injected clients belong to the caller.
      if (!options.dynamodb) dynamodb.destroy();
      if (!options.s3) s3.destroy();
    },

    stats() {
      return { ...totals };
    },

    sweep(sweepOptions) {
      return sweepOrphans(
        {
          s3,
          bucket: config.bucket,
          prefix: objectRoot,
          referencedKeys: async (pk) => {
            const item = await readItem(parseTaskKey(pk), zeroCost());
            return item ? referencedKeys(item) : [];
          },
          remove: (keys) => objects.remove(keys),
        },
        sweepOptions,
      );
    },
  };

  function referencedKeys(item: CheckpointItem): string[] {
    const keys: string[] = [];
    if (item.state.kind === 's3') {
      keys.push(objects.key(item.objectPrefix, 'snapshot', item.state.snapshot));
      for (const id of item.state.deltas) keys.push(objects.key(item.objectPrefix, 'delta', id));
    }
    const outboxKey = outboxes.keyOf(item);
    if (outboxKey) keys.push(outboxKey);
    return keys;
  }
}

/** Put only on the base the commit built on: no item for a first commit, else its version (and id). */
function commitCondition(request: CommitRequest): {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Attributes;
} {
  if (request.expectedVersion === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  const names: Record<string, string> = { '#version': 'version' };
  const values: Attributes = { ':expected': { N: String(request.expectedVersion) } };
  if (!request.expectedCommitId) {
    return {
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
  names['#commitId'] = 'commitId';
  values[':commitId'] = { S: request.expectedCommitId };
  return {
    ConditionExpression: '#version = :expected AND #commitId = :commitId',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function addCost(into: StoreCost, cost: StoreCost): void {
  into.reads += cost.reads;
  into.writes += cost.writes;
  into.objectGets += cost.objectGets;
  into.objectPuts += cost.objectPuts;
  into.bytes += cost.bytes;
}

function compareTasks(a: TaskId, b: TaskId): number {
  if (a.fn !== b.fn) return a.fn < b.fn ? -1 : 1;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}
