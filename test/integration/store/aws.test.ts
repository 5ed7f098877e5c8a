import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitRequest, Outbox, StoreBase, TaskId } from '../../../lib/core/checkpoint';
import { CheckpointConflictError, StoreError } from '../../../lib/core/errors';
import type { Json, StateDelta } from '../../../lib/core/state-types';
import { taskKey } from '../../../lib/core/task';
import { type AwsStore, type AwsStoreOptions, createAwsStore } from '../../../lib/store/aws';
import { createAwsClients } from '../../../lib/store/aws-clients';
import { ensureAwsResources } from '../../../lib/store/aws-setup';
import { describeStore } from '../../store/contract';
import { uniqueName } from '../helpers/unique-name';

/*
 * The aws store against real DynamoDB Local and moto (S3). Endpoints come from the standard
 * variables that the integration global setup exports; one fresh table and bucket per file.
 */
const table = uniqueName('sluice-aws-test');
const bucket = uniqueName('sluice-aws-test');
let shared: { dynamodb: DynamoDBClient; s3: S3Client };

beforeAll(async () => {
  const missing = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_S3'].filter(
    (name) => !process.env[name] && !process.env.AWS_ENDPOINT_URL,
  );
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(' and ')} not set: the aws store tests need DynamoDB Local and moto. ` +
        'Start the stack: npm run stack:up (the integration global setup does it and exports the variables)',
    );
  }
  shared = createAwsClients();
  await ensureAwsResources({ table, bucket, ...shared });
});

afterAll(async () => {
  if (!shared) return;
  await shared.dynamodb.send(new DeleteTableCommand({ TableName: table }));
  const keys = await listKeys('');
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await shared.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
  }
  await shared.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  shared.dynamodb.destroy();
  shared.s3.destroy();
});

describeStore('aws', () => createAwsStore({ table, bucket, ...shared }));
describeStore('aws, state always spilled to S3', () =>
  createAwsStore({ table, bucket, ...shared, inlineStateLimitBytes: 0, compactAfterDeltas: 4 }),
);

/**
 * A store with its own clients, recording every request it makes (command names, in order), used
 * as the coordinator uses one: the caller keeps each task's StoreBase from its last load or
 * commit and hands it back (a process's warm cache), dropping it when a commit fails.
 */
function openStore(options: Partial<AwsStoreOptions> = {}) {
  const clients = createAwsClients();
  const requests: string[] = [];
  for (const client of [clients.dynamodb, clients.s3] as const) {
    (client as DynamoDBClient).middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(context.commandName?.replace(/Command$/, '') ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordRequests' },
    );
  }
  const raw = createAwsStore({ table, bucket, ...clients, ...options });
  const bases = new Map<string, StoreBase>();
  const store: AwsStore = {
    ...raw,
    async load(task) {
      const loaded = await raw.load(task);
      bases.set(taskKey(task), loaded?.base ?? null);
      return loaded;
    },
    async commit(request) {
      const key = taskKey(request.task);
      const base = bases.get(key);
      bases.delete(key);
      const result = await raw.commit({ ...(base !== undefined && { base }), ...request });
      bases.set(key, result.base);
      return result;
    },
  };
  return {
    store,
    /** requests made since the last call */
    take(): string[] {
      return requests.splice(0);
    },
    async close() {
      await store.close();
      clients.dynamodb.destroy();
      clients.s3.destroy();
    },
  };
}

const newTask = (): TaskId => ({ fn: `aws-${randomUUID()}`, topic: 'events.v1', partition: 7 });

function request(
  task: TaskId,
  expectedVersion: number,
  delta: StateDelta,
  over: Partial<CommitRequest> = {},
) {
  return {
    task,
    expectedVersion,
    next: (expectedVersion + 1) * 100,
    delta,
    stateKeys: 0,
    outbox: null,
    committedAt: 1_700_000_000_000 + expectedVersion,
    ...over,
  } satisfies CommitRequest;
}

/** `count` keys `k/00000..`, each with a value of about 20 bytes. */
function manyKeys(count: number, round = 0): Array<[string, Json]> {
  return Array.from({ length: count }, (_, i) => [`k/${String(i).padStart(6, '0')}`, `value-${round}-${i}`]);
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await shared.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return keys.sort();
}

/** The object keys the stored item references, read straight from DynamoDB. */
async function referencedKeys(task: TaskId): Promise<string[]> {
  const { Item } = await shared.dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: `local/${taskKey(task)}` } },
      ConsistentRead: true,
    }),
  );
  const prefix = Item?.objectPrefix?.S ?? '';
  const keys: string[] = [];
  if (Item?.snapshot?.S) keys.push(`${prefix}snapshot/${Item.snapshot.S}.json`);
  for (const id of Item?.deltas?.L ?? []) keys.push(`${prefix}delta/${id.S}.json`);
  if (Item?.outboxObject?.S) keys.push(`${prefix}outbox/${Item.outboxObject.S}.json`);
  return keys.sort();
}

const objectPrefixOf = (task: TaskId) => `sluice/local/${taskKey(task)}/`;

describe('aws store: cost of a commit', () => {
  it('makes no read and exactly one DynamoDB write per commit while the state is inline', async () => {
    const owner = openStore();
    const task = newTask();
    let version = 0;
    for (; version < 5; version++) {
      const result = await owner.store.commit(
        request(task, version, { set: [[`k/${version}`, version]], del: [] }),
      );
      expect(result.cost).toMatchObject({ reads: 0, writes: 1, objectGets: 0, objectPuts: 0 });
      expect(result.stateWrite).toBe('inline');
      expect(owner.take()).toEqual(['PutItem']);
    }
    // A cold start reads once; the commits after it are warm again.
    const cold = openStore();
    expect((await cold.store.load(task))?.checkpoint.version).toBe(5);
    expect(cold.take()).toEqual(['GetItem']);
    for (; version < 10; version++) {
      const result = await cold.store.commit(request(task, version, { set: [['k/0', version]], del: [] }));
      expect(result.cost).toMatchObject({ reads: 0, writes: 1, objectGets: 0, objectPuts: 0 });
      expect(cold.take()).toEqual(['PutItem']);
    }
    expect(cold.store.stats()).toMatchObject({ loads: 1, commits: 5, reads: 1, writes: 5 });
    await owner.close();
    await cold.close();
  });

  it('reads the item once (no object) to commit on a version it neither loaded nor committed, then is warm', async () => {
    const options = { inlineStateLimitBytes: 0 };
    const first = openStore(options);
    const second = openStore(options);
    const task = newTask();
    await first.store.commit(request(task, 0, { set: manyKeys(50), del: [] }, { stateKeys: 50 }));
    await first.store.commit(request(task, 1, { set: [['a', 1]], del: [] }, { stateKeys: 51 }));
    second.take();
    await second.store.commit(request(task, 2, { set: [['a', 2]], del: [] }, { stateKeys: 51 }));
    // The item alone tells where the state lives: its objects are read only to compact.
    expect(second.take()).toEqual(['GetItem', 'PutObject', 'PutItem']);
    await second.store.commit(request(task, 3, { set: [['a', 3]], del: [] }, { stateKeys: 51 }));
    expect(second.take()).toEqual(['PutObject', 'PutItem']);
    expect((await first.store.load(task))?.state.get('a')).toBe(3);
    await Promise.all([first.close(), second.close()]);
  });

  it('makes at most one S3 PUT and one DynamoDB write per spilled commit; compactions apart (no merging)', async () => {
    const { store, take, close } = openStore({
      inlineStateLimitBytes: 1024,
      compactAfterDeltas: 8,
      deltaFanIn: 0,
    });
    const task = newTask();
    const first = await store.commit(request(task, 0, { set: manyKeys(2000), del: [] }, { stateKeys: 2000 }));
    expect(first.stateWrite).toBe('snapshot');
    expect(take()).toEqual(['PutObject', 'PutItem']);

    let compactions = 0;
    for (let version = 1; version <= 27; version++) {
      const result = await store.commit(
        request(task, version, { set: manyKeys(10, version), del: [] }, { stateKeys: 2000 }),
      );
      const requests = take();
      if (result.compacted) {
        compactions++;
        // Reads back the snapshot and the 8 deltas, writes one snapshot, then deletes what it replaced.
        expect(result.cost).toMatchObject({ reads: 0, writes: 1, objectGets: 9, objectPuts: 1 });
        expect(requests.filter((r) => r === 'GetObject')).toHaveLength(9);
        expect(requests.filter((r) => r !== 'GetObject')).toEqual(['PutObject', 'PutItem', 'DeleteObjects']);
      } else {
        expect(result.stateWrite).toBe('delta');
        expect(result.cost).toMatchObject({ reads: 0, writes: 1, objectGets: 0, objectPuts: 1 });
        expect(requests).toEqual(['PutObject', 'PutItem']);
      }
    }
    // 8 deltas, then the 9th commit compacts: versions 9, 18, 27.
    expect(compactions).toBe(3);
    expect(store.stats().compactions).toBe(3);

    // A commit that changes no state writes no object.
    const unchanged = await store.commit(request(task, 28, { set: [], del: [] }, { stateKeys: 2000 }));
    expect(unchanged.stateWrite).toBe('unchanged');
    expect(take()).toEqual(['PutItem']);
    await close();
  });

  it('merges every 4th delta with the 3 before it (cascading): reads them, writes one object, deletes them', async () => {
    const { store, take, close } = openStore({ inlineStateLimitBytes: 1024 });
    const task = newTask();
    const reference = new Map<string, Json>(manyKeys(2000));
    await store.commit(request(task, 0, { set: manyKeys(2000), del: [] }, { stateKeys: 2000 }));
    take();
    for (let n = 1; n <= 20; n++) {
      const set = manyKeys(10, n).map(([key, value]): [string, Json] => [`${key}/${n % 3}`, value]);
      const del = n % 5 === 0 ? [`k/000000/${(n + 1) % 3}`] : [];
      for (const key of del) reference.delete(key);
      for (const [key, value] of set) reference.set(key, value);
      const result = await store.commit(request(task, n, { set, del }, { stateKeys: reference.size }));
      const requests = take();
      // n in base 4 ending in k zeros: merges 3 deltas of each of the k lowest levels.
      const digits = n.toString(4);
      const merged = 3 * (digits.length - digits.replace(/0+$/, '').length);
      expect(result).toMatchObject({ stateWrite: 'delta', compacted: false });
      expect(result.cost).toMatchObject({ reads: 0, writes: 1, objectGets: merged, objectPuts: 1 });
      expect(requests.filter((r) => r === 'GetObject')).toHaveLength(merged);
      expect(requests.filter((r) => r !== 'GetObject')).toEqual(
        merged > 0 ? ['PutObject', 'PutItem', 'DeleteObjects'] : ['PutObject', 'PutItem'],
      );
      // One delta per base-4 digit unit, levels persisted in the item; no garbage left.
      const { Item } = await shared.dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: `local/${taskKey(task)}` } },
          ConsistentRead: true,
        }),
      );
      const levels = [...digits].flatMap((d, i) => Array<number>(Number(d)).fill(digits.length - 1 - i));
      expect(Item?.deltaLevels?.L?.map((level) => Number(level.N))).toEqual(levels);
      expect(await listKeys(objectPrefixOf(task))).toEqual(await referencedKeys(task));
    }
    expect(store.stats().compactions).toBe(0);
    const cold = openStore();
    expect(new Map((await cold.store.load(task))?.state)).toEqual(reference);
    await Promise.all([close(), cold.close()]);
  });

  it('sends the same bytes for 10 changed keys with 1k and with 100k keys of state', async () => {
    const { store, close } = openStore({ inlineStateLimitBytes: 1024, compactAfterDeltas: 50 });
    const bytesPerCommit: Record<string, number> = {};
    for (const size of [1_000, 100_000]) {
      const task = newTask();
      await store.commit(request(task, 0, { set: manyKeys(size), del: [] }, { stateKeys: size }));
      let bytes = 0;
      for (let version = 1; version <= 10; version++) {
        const result = await store.commit(
          request(task, version, { set: manyKeys(10, version), del: [] }, { stateKeys: size }),
        );
        expect(result.stateWrite).toBe('delta');
        bytes += result.cost.bytes;
      }
      bytesPerCommit[size] = bytes / 10;
    }
    const small = bytesPerCommit[1_000] ?? 0;
    const large = bytesPerCommit[100_000] ?? 0;
    expect(small).toBeGreaterThan(0);
    expect(Math.abs(large - small) / small).toBeLessThanOrEqual(0.1);
    await close();
  });
});

describe('aws store: fencing', () => {
  it('rejects a stale version with the current checkpoint from the failed write itself, changing nothing', async () => {
    const options = { inlineStateLimitBytes: 0 };
    const owner = openStore(options);
    const zombie = openStore(options);
    const task = newTask();
    // A state big enough that one-key deltas do not trigger compaction.
    await owner.store.commit(
      request(task, 0, { set: [...manyKeys(50), ['a', 1]], del: [] }, { stateKeys: 51 }),
    );
    await zombie.store.load(task);
    const winner = await owner.store.commit(
      request(task, 1, { set: [['a', 2]], del: [] }, { stateKeys: 51 }),
    );
    const before = await referencedKeys(task);
    zombie.take();

    const stale = await zombie.store
      .commit(request(task, 1, { set: [['a', 666]], del: [] }, { stateKeys: 51 }))
      .catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(CheckpointConflictError);
    expect((stale as CheckpointConflictError).current).toEqual(winner.checkpoint);
    // No read to find the current checkpoint: it came back with the refused write. The delta
    // the zombie wrote first is deleted again, since no item can reference it.
    expect(zombie.take()).toEqual(['PutObject', 'PutItem', 'DeleteObjects']);
    expect(await referencedKeys(task)).toEqual(before);
    expect(await listKeys(objectPrefixOf(task))).toEqual(before);
    const fresh = openStore();
    const loaded = await fresh.store.load(task);
    expect(loaded?.checkpoint).toEqual(winner.checkpoint);
    expect(loaded?.state.get('a')).toBe(2);
    await Promise.all([owner.close(), zombie.close(), fresh.close()]);
  });

  it('fences a zombie whose compaction finds the objects it built on already deleted', async () => {
    const options = { inlineStateLimitBytes: 0, compactAfterDeltas: 1 };
    const owner = openStore(options);
    const zombie = openStore(options);
    const task = newTask();
    await owner.store.commit(request(task, 0, { set: manyKeys(50), del: [] }, { stateKeys: 50 }));
    await owner.store.commit(request(task, 1, { set: [['a', 1]], del: [] }, { stateKeys: 51 }));
    await zombie.store.load(task);
    // The owner compacts, deleting the snapshot and delta the zombie knows.
    const winner = await owner.store.commit(
      request(task, 2, { set: [['a', 2]], del: [] }, { stateKeys: 51 }),
    );
    expect(winner.compacted).toBe(true);

    const stale = await zombie.store
      .commit(request(task, 2, { set: [['a', 666]], del: [] }, { stateKeys: 51 }))
      .catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(CheckpointConflictError);
    expect((stale as CheckpointConflictError).current).toEqual(winner.checkpoint);
    expect(await listKeys(objectPrefixOf(task))).toEqual(await referencedKeys(task));
    await Promise.all([owner.close(), zombie.close()]);
  });

  it('lets exactly one of two first commits win, from two processes', async () => {
    for (const inlineStateLimitBytes of [100 * 1024, 0]) {
      const a = openStore({ inlineStateLimitBytes });
      const b = openStore({ inlineStateLimitBytes });
      const task = newTask();
      const results = await Promise.allSettled([
        a.store.commit(request(task, 0, { set: [['who', 'a']], del: [] }, { stateKeys: 1 })),
        b.store.commit(request(task, 0, { set: [['who', 'b']], del: [] }, { stateKeys: 1 })),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const error = (lost[0] as PromiseRejectedResult).reason as CheckpointConflictError;
      expect(error).toBeInstanceOf(CheckpointConflictError);
      expect(error.current).toMatchObject({ version: 1 });
      const winner = (won[0] as PromiseFulfilledResult<{ checkpoint: unknown }>).value;
      const loaded = await a.store.load(task);
      expect(loaded?.checkpoint).toEqual(winner.checkpoint);
      expect(loaded?.state.get('who')).toBe(results[0]?.status === 'fulfilled' ? 'a' : 'b');
      expect(await listKeys(objectPrefixOf(task))).toEqual(await referencedKeys(task));
      await a.close();
      await b.close();
    }
  });
});

describe('aws store: state in S3', () => {
  it('rebuilds exactly the committed state through spills, compactions and returns inline', async () => {
    const pool = 150;
    const operation = fc.record({
      set: fc.uniqueArray(
        fc.tuple(
          fc.integer({ min: 0, max: pool - 1 }),
          fc.oneof(fc.integer(), fc.string({ maxLength: 120 })),
        ),
        { maxLength: 25, selector: ([key]) => key },
      ),
      del: fc.uniqueArray(fc.integer({ min: 0, max: pool - 1 }), { maxLength: 40 }),
      coldStart: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 30 }), async (operations) => {
        const options = { inlineStateLimitBytes: 2048, compactAfterDeltas: 3 };
        const task = newTask();
        const reference = new Map<string, Json>();
        const kinds = new Set<string>();
        let current = openStore(options);
        const opened = [current];
        for (const [version, op] of operations.entries()) {
          const set = op.set.map(([key, value]): [string, Json] => [`m/${key}`, value]);
          const del = op.del.map((key) => `m/${key}`).filter((key) => !set.some(([k]) => k === key));
          for (const key of del) reference.delete(key);
          for (const [key, value] of set) reference.set(key, value);
          const result = await current.store.commit(
            request(task, version, { set, del }, { stateKeys: reference.size }),
          );
          kinds.add(result.compacted ? `compacted to ${result.stateWrite}` : result.stateWrite);
          if (op.coldStart) {
            current = openStore(options);
            opened.push(current);
            const loaded = await current.store.load(task);
            expect(new Map(loaded?.state)).toEqual(reference);
          }
        }
        const fresh = openStore(options);
        opened.push(fresh);
        const loaded = await fresh.store.load(task);
        expect(loaded?.checkpoint).toMatchObject({ version: operations.length, stateKeys: reference.size });
        expect(new Map(loaded?.state)).toEqual(reference);
        // Garbage is collected: the bucket holds exactly what the item references.
        expect(await listKeys(objectPrefixOf(task))).toEqual(await referencedKeys(task));
        await Promise.all(opened.map((s) => s.close()));
      }),
      { numRuns: 12 },
    );
  });

  it('moves an outbox too big for the item to S3 and deletes it once replaced', async () => {
    const { store, take, close } = openStore();
    const task = newTask();
    const big: Outbox = {
      firstOffset: 0,
      endOffset: 999,
      messages: Array.from({ length: 1000 }, (_, i) => ({
        sink: 'out',
        key: `key-${i}`,
        value: 'x'.repeat(500),
      })),
    };
    const first = await store.commit(
      request(task, 0, { set: [['a', 1]], del: [] }, { stateKeys: 1, outbox: big }),
    );
    expect(first.cost).toMatchObject({ writes: 1, objectPuts: 1 });
    expect(take()).toEqual(['PutObject', 'PutItem']);
    const [outboxKey] = await referencedKeys(task);
    expect(outboxKey).toMatch(/\/outbox\/1-[0-9a-f]{16}\.json$/);

    const cold = openStore();
    const loaded = await cold.store.load(task);
    expect(loaded?.checkpoint.outbox).toEqual(big);
    expect(cold.take()).toEqual(['GetItem', 'GetObject']);

    const small: Outbox = {
      firstOffset: 1000,
      endOffset: 1000,
      messages: [{ sink: 'out', key: null, value: 'eQ==' }],
    };
    await store.commit(request(task, 1, { set: [], del: [] }, { stateKeys: 1, outbox: small }));
    expect(take()).toEqual(['PutItem', 'DeleteObjects']);
    expect(await listKeys(objectPrefixOf(task))).toEqual([]);
    expect((await cold.store.load(task))?.checkpoint.outbox).toEqual(small);
    await close();
    await cold.close();
  });

  it('reset deletes the item and the objects it referenced', async () => {
    const { store, close } = openStore({ inlineStateLimitBytes: 0 });
    const task = newTask();
    await store.commit(request(task, 0, { set: manyKeys(50), del: [] }, { stateKeys: 50 }));
    await store.commit(request(task, 1, { set: [['x', 1]], del: [] }, { stateKeys: 51 }));
    expect(await listKeys(objectPrefixOf(task))).toHaveLength(2);
    await store.reset(task);
    expect(await store.load(task)).toBeNull();
    expect(await listKeys(objectPrefixOf(task))).toEqual([]);
    await close();
  });
});

describe('aws store: gc sweep', () => {
  it('deletes old objects no item references, keeps referenced and young ones, of one function only', async () => {
    const { store, close } = openStore({ inlineStateLimitBytes: 0, deltaFanIn: 0 });
    const [task, other] = [newTask(), newTask()];
    for (const t of [task, other]) {
      await store.commit(request(t, 0, { set: manyKeys(50), del: [] }, { stateKeys: 50 }));
      await store.commit(request(t, 1, { set: [['k/000001', 'x']], del: [] }, { stateKeys: 50 }));
    }
    // What an invocation that died between its PUT and its item write leaves behind.
    const orphanOf = (t: TaskId) => `${objectPrefixOf(t)}delta/3-00000000deadbeef.json`;
    for (const t of [task, other]) {
      await shared.s3.send(new PutObjectCommand({ Bucket: bucket, Key: orphanOf(t), Body: '{}' }));
    }
    const live = await referencedKeys(task);
    expect(live).toHaveLength(2);

    const young = await store.sweep({ fn: task.fn, minAgeMs: 3_600_000 });
    expect(young).toMatchObject({ objects: 3, referenced: 2, young: 1, orphans: [], deleted: 0 });
    const dry = await store.sweep({ fn: task.fn, minAgeMs: 0, dryRun: true });
    expect(dry.orphans.map((orphan) => orphan.key)).toEqual([orphanOf(task)]);
    expect(dry.deleted).toBe(0);
    expect(await listKeys(objectPrefixOf(task))).toContain(orphanOf(task));

    const swept = await store.sweep({ fn: task.fn, minAgeMs: 0 });
    expect(swept).toMatchObject({ objects: 3, referenced: 2, deleted: 1 });
    expect(await listKeys(objectPrefixOf(task))).toEqual([...live].sort());
    expect(await listKeys(objectPrefixOf(other))).toContain(orphanOf(other));
    const cold = openStore();
    expect((await cold.store.load(task))?.state.get('k/000001')).toBe('x');
    await Promise.all([close(), cold.close()]);
  });
});

describe('aws store: deployments sharing a table and bucket', () => {
  it('keeps each namespace apart: commits, loads, lists and sweeps see their own tasks only', async () => {
    const dev = openStore({ namespace: 'svc-dev', inlineStateLimitBytes: 0 });
    const prod = openStore({ namespace: 'svc-prod', inlineStateLimitBytes: 0 });
    const task = newTask();
    await dev.store.commit(request(task, 0, { set: [['who', 'dev']], del: [] }, { stateKeys: 1 }));
    await prod.store.commit(request(task, 0, { set: [['who', 'prod']], del: [] }, { stateKeys: 1 }));
    await prod.store.commit(request(task, 1, { set: [['n', 2]], del: [] }, { stateKeys: 2 }));
    expect((await dev.store.load(task))?.state).toEqual(new Map([['who', 'dev']]));
    expect((await prod.store.load(task))?.checkpoint.version).toBe(2);
    expect(await dev.store.list(task.fn)).toEqual([task]);
    expect(await openStore().store.list(task.fn)).toEqual([]);
    expect(await listKeys(`sluice/svc-dev/${taskKey(task)}/`)).toHaveLength(1);
    const swept = await dev.store.sweep({ fn: task.fn, minAgeMs: 0 });
    expect(swept).toMatchObject({ objects: 1, referenced: 1, deleted: 0 });
    expect((await prod.store.load(task))?.state.get('who')).toBe('prod');
    await Promise.all([dev.close(), prod.close()]);
  });
});

describe('aws store: errors', () => {
  it('says which table is missing and how to fix it, without retrying', async () => {
    const store = createAwsStore({ table: `missing-${randomUUID()}`, bucket, ...shared });
    const error = await store.load(newTask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).retriable).toBe(false);
    expect((error as StoreError).message).toMatch(/table "missing-.*SLUICE_TABLE/);
  });

  it('says which bucket is missing when state spills', async () => {
    const store = createAwsStore({
      table,
      bucket: `missing-${randomUUID().slice(0, 8)}`,
      ...shared,
      inlineStateLimitBytes: 0,
    });
    const error = await store
      .commit(request(newTask(), 0, { set: [['a', 1]], del: [] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/SLUICE_BUCKET/);
  });

  it('creates the table and bucket idempotently', async () => {
    expect(await ensureAwsResources({ table, bucket, ...shared })).toEqual({
      tableCreated: false,
      bucketCreated: false,
    });
  });
});
