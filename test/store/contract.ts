import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommitRequest, Outbox, TaskId } from '../../lib/core/checkpoint';
import { CheckpointConflictError } from '../../lib/core/errors';
import type { Json } from '../../lib/core/state-types';
import type { Store } from '../../lib/store/store';

/**
 * The contract every store driver passes (memory, file, aws): one suite, many drivers.
 * `createStore` is called once per test; it may return the same backing storage, since every
 * test uses its own function name.
 */
export function describeStore(name: string, createStore: () => Promise<Store> | Store): void {
  describe(`store contract: ${name}`, () => {
    const opened: Store[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });
    async function open(): Promise<Store> {
      const store = await createStore();
      opened.push(store);
      return store;
    }
    const task = (partition = 0): TaskId => ({ fn: `fn-${randomUUID()}`, topic: 'orders.v1-eu', partition });
    const commit = (
      t: TaskId,
      expectedVersion: number,
      over: Partial<CommitRequest> = {},
    ): CommitRequest => ({
      task: t,
      expectedVersion,
      next: expectedVersion * 10 + 10,
      delta: { set: [], del: [] },
      stateKeys: 0,
      outbox: null,
      committedAt: 1_700_000_000_000 + expectedVersion,
      ...over,
    });

    it('loads null for a task never committed', async () => {
      const store = await open();
      expect(await store.load(task())).toBeNull();
    });

    it('commits version 1 from nothing and loads it back with its state and outbox', async () => {
      const store = await open();
      const t = task(3);
      const outbox: Outbox = {
        firstOffset: 0,
        endOffset: 9,
        messages: [{ sink: 'counts', key: 'YQ==', value: 'MQ==', headers: [['h', 'eA==']] }],
      };
      const result = await store.commit(
        commit(t, 0, {
          next: 10,
          delta: {
            set: [
              ['counts/a', 1],
              ['total', { n: 1 }],
            ],
            del: [],
          },
          stateKeys: 2,
          outbox,
        }),
      );
      expect(result.checkpoint).toMatchObject({ version: 1, next: 10, stateKeys: 2 });
      const loaded = await store.load(t);
      expect(loaded?.checkpoint).toEqual(result.checkpoint);
      expect(loaded?.checkpoint.outbox).toEqual(outbox);
      expect(Object.fromEntries(loaded?.state ?? [])).toEqual({ 'counts/a': 1, total: { n: 1 } });
    });

    it('applies deltas across versions: sets, overwrites and deletes', async () => {
      const store = await open();
      const t = task();
      await store.commit(
        commit(t, 0, {
          delta: {
            set: [
              ['a', 1],
              ['b', 2],
            ],
            del: [],
          },
        }),
      );
      await store.commit(commit(t, 1, { delta: { set: [['a', 5]], del: ['b'] } }));
      const r = await store.commit(
        commit(t, 2, { delta: { set: [['c', [1, 'x', null]]], del: [] }, stateKeys: 2 }),
      );
      expect(r.checkpoint.version).toBe(3);
      const loaded = await store.load(t);
      expect(Object.fromEntries(loaded?.state ?? [])).toEqual({ a: 5, c: [1, 'x', null] });
      expect(loaded?.checkpoint.stateKeys).toBe(2);
    });

    it('rejects a stale version with a conflict that carries the current checkpoint, changing nothing', async () => {
      const store = await open();
      const t = task();
      await store.commit(commit(t, 0, { delta: { set: [['k', 1]], del: [] } }));
      await store.commit(commit(t, 1, { delta: { set: [['k', 2]], del: [] } }));
      const stale = store.commit(commit(t, 1, { next: 999, delta: { set: [['k', 666]], del: [] } }));
      await expect(stale).rejects.toBeInstanceOf(CheckpointConflictError);
      const error = (await stale.catch((e: unknown) => e)) as CheckpointConflictError;
      expect(error.current).toMatchObject({ version: 2, next: 20 });
      const loaded = await store.load(t);
      expect(loaded?.checkpoint).toMatchObject({ version: 2, next: 20 });
      expect(loaded?.state.get('k')).toBe(2);
    });

    it('rejects a first commit when the task already exists', async () => {
      const store = await open();
      const t = task();
      await store.commit(commit(t, 0));
      await expect(store.commit(commit(t, 0))).rejects.toBeInstanceOf(CheckpointConflictError);
    });

    it('lets exactly one of two racing commits on the same version win', async () => {
      const store = await open();
      const t = task();
      await store.commit(commit(t, 0));
      const results = await Promise.allSettled([
        store.commit(commit(t, 1, { delta: { set: [['who', 'a']], del: [] } })),
        store.commit(commit(t, 1, { delta: { set: [['who', 'b']], del: [] } })),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(CheckpointConflictError);
      const loaded = await store.load(t);
      expect(loaded?.checkpoint.version).toBe(2);
    });

    it('fences a commit from a second store instance (another process) that loaded an old version', async () => {
      const a = await open();
      const b = await open();
      const t = task();
      await a.commit(commit(t, 0));
      const seenByB = await b.load(t);
      await a.commit(commit(t, 1, { delta: { set: [['x', 1]], del: [] } }));
      await expect(b.commit(commit(t, seenByB?.checkpoint.version ?? 0))).rejects.toBeInstanceOf(
        CheckpointConflictError,
      );
    });

    it('keeps tasks apart: functions, topics and partitions', async () => {
      const store = await open();
      const t = task(0);
      const others: TaskId[] = [
        { ...t, partition: 1 },
        { ...t, topic: `${t.topic}-0` },
        { ...t, fn: `${t.fn}-0` },
      ];
      await store.commit(commit(t, 0, { delta: { set: [['who', 't']], del: [] } }));
      for (const other of others) expect(await store.load(other)).toBeNull();
      const listed = await store.list(t.fn);
      expect(listed).toEqual([t]);
    });

    it('round-trips unicode and awkward keys and values', async () => {
      const store = await open();
      const t = task();
      const values: Array<[string, Json]> = [
        ['m/ключ 🔑', 'значение'],
        ['m/with/slash', { nested: [true, false, null, 1.5, -0.25] }],
        ['m/', ''],
      ];
      await store.commit(commit(t, 0, { delta: { set: values, del: [] } }));
      expect([...((await store.load(t))?.state ?? [])].sort()).toEqual([...values].sort());
    });

    it('reset removes the checkpoint so the task starts over', async () => {
      const store = await open();
      const t = task();
      await store.commit(commit(t, 0, { delta: { set: [['a', 1]], del: [] } }));
      await store.reset(t);
      expect(await store.load(t)).toBeNull();
      const again = await store.commit(commit(t, 0));
      expect(again.checkpoint.version).toBe(1);
    });

    it('conditions a commit on the base commit id too, and keeps epoch and last record', async () => {
      const store = await open();
      const t = task();
      const last = { offset: 9, timestamp: 1_700_000_000_123, fingerprint: 'cafe01' };
      const first = await store.commit(commit(t, 0, { epoch: 2, last }));
      expect(first.checkpoint).toMatchObject({ version: 1, epoch: 2, last });
      expect(first.checkpoint.commitId).toMatch(/^[0-9a-f]{8,}$/);
      expect(await store.peek(t)).toMatchObject({ commitId: first.checkpoint.commitId, epoch: 2, last });
      expect((await store.load(t))?.checkpoint).toMatchObject({
        commitId: first.checkpoint.commitId,
        epoch: 2,
      });
      // Same version, another commit id: another history's version 1 (a restored table).
      const stale = commit(t, 1, { expectedCommitId: 'another-history' });
      await expect(store.commit(stale)).rejects.toBeInstanceOf(CheckpointConflictError);
      const second = await store.commit(
        commit(t, 1, { expectedCommitId: first.checkpoint.commitId, epoch: 2, base: first.base }),
      );
      expect(second.checkpoint).toMatchObject({ version: 2, epoch: 2, last: null });
      expect(second.checkpoint.commitId).not.toBe(first.checkpoint.commitId);
    });

    it('keeps savepoints beside the checkpoints, never overwritten, listed newest first', async () => {
      const store = await open();
      const fn = `fn-${randomUUID()}`;
      const savepoint = (name: string, createdAt: number) => ({
        format: 'sluice.savepoint.v1' as const,
        name,
        fn,
        topic: 'orders.v1-eu',
        namespace: 'test',
        createdAt,
        triggerGroup: 'sluice-orders',
        partitions: [
          {
            partition: 0,
            next: 42,
            checkpoint: { version: 3, epoch: 0, stateKeys: 2, committedAt: 5, last: null },
            state: [
              ['m/ключ 🔑', { deep: [1, null] }],
              ['seen', 7],
            ] as Array<[string, Json]>,
            triggerOffset: 40,
          },
        ],
      });
      await store.savepoints.put(savepoint('first', 1_000));
      await store.savepoints.put(savepoint('second', 2_000));
      await expect(store.savepoints.put(savepoint('first', 3_000))).rejects.toThrow('exists already');
      expect(await store.savepoints.get(fn, 'first')).toEqual(savepoint('first', 1_000));
      expect(await store.savepoints.get(fn, 'none')).toBeNull();
      expect((await store.savepoints.list(fn)).map((s) => [s.name, s.partitions, s.stateKeys])).toEqual([
        ['second', 1, 2],
        ['first', 1, 2],
      ]);
      // Savepoints are not tasks.
      expect(await store.list(fn)).toEqual([]);
      expect((await store.list()).some((t) => t.fn === fn)).toBe(false);
    });

    it('reports the cost of a commit', async () => {
      const store = await open();
      const result = await store.commit(commit(task(), 0, { delta: { set: [['a', 1]], del: [] } }));
      expect(result.cost.writes + result.cost.objectPuts).toBeGreaterThanOrEqual(1);
      expect(result.cost.bytes).toBeGreaterThan(0);
    });

    it('holds many keys and many versions (snapshot + delta chain)', async () => {
      const store = await open();
      const t = task();
      const reference = new Map<string, Json>();
      let version = 0;
      for (let round = 0; round < 40; round++) {
        const set: Array<[string, Json]> = [];
        for (let i = 0; i < 50; i++) set.push([`m/k${(round * 37 + i * 11) % 700}`, round * 1000 + i]);
        const del = round % 3 === 0 ? [`m/k${(round * 13) % 700}`] : [];
        const delta = { set: set.filter(([k]) => !del.includes(k)), del };
        await store.commit(commit(t, version, { delta }));
        for (const k of delta.del) reference.delete(k);
        for (const [k, v] of delta.set) reference.set(k, v);
        version++;
      }
      const loaded = await store.load(t);
      expect(loaded?.checkpoint.version).toBe(40);
      expect(new Map(loaded?.state)).toEqual(reference);
    });
  });
}
