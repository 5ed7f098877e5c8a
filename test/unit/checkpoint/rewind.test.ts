/**
 * Consistent rewind (issue "Consistent rewind"): savepoints, rewinds and resets that keep state,
 * offsets and outputs consistent; fencing that survives them and table restores; a changed
 * source log noticed instead of skipped.
 */
import { describe, expect, it } from 'vitest';
import { defineFunction, kafkaSink, type SluiceError, serde, state } from '../../../lib';
import type { Logger } from '../../../lib/core/log';
import { createMemoryStore, type MemoryBacking } from '../../../lib/store/memory';
import type { Store } from '../../../lib/store/store';
import { createHarness } from '../../../lib/testing/harness';

const sum = defineFunction({
  name: 'sum',
  source: { topic: 'numbers', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>() },
  sinks: { out: kafkaSink({ topic: 'sums', value: serde.json<number>() }) },
  process(batch, { state, emit }) {
    for (const r of batch.records) {
      const n = (state.sums.get(r.key) ?? 0) + r.value;
      state.sums.set(r.key, n);
      emit.out({ key: r.key, value: n });
    }
  },
});

const values = (h: ReturnType<typeof createHarness>) => h.published('out').map((m) => m.value);
const feed = (from: number, list: number[]) =>
  list.map((value, i) => ({ key: 'k', value, offset: from + i }));

describe('savepoint and rewind', () => {
  it('restores state and offsets together and publishes the replayed range again, once', async () => {
    const h = createHarness(sum, { sourcePartitions: 1 });
    await h.invoke(feed(0, [1, 2]));
    const savepoint = await h.savepoint('before-bug');
    expect(savepoint.partitions).toEqual([
      expect.objectContaining({ partition: 0, next: 2, state: [['sums/k', 3]] }),
    ]);
    await h.invoke(feed(2, [10, 20]));
    const before = await h.checkpoint();

    const [rewound] = await h.rewind('before-bug');
    expect(rewound).toMatchObject({ partition: 0, from: 4, to: 2, stateKeys: 1, epoch: 1 });
    const after = await h.checkpoint();
    // Versions go on (a version never recurs), the epoch moved, nothing is pending.
    expect(after).toMatchObject({ version: before!.version + 1, epoch: 1, next: 2, outbox: null });
    expect(await h.state()).toEqual({ 'sums/k': 3 });

    // The trigger delivers again from offset 2 (its group offsets were moved): a fixed function
    // would produce other outputs; these are published although the old history published the range.
    await h.invoke(feed(2, [10, 20]));
    expect(await h.state()).toEqual({ 'sums/k': 33 });
    expect(values(h)).toEqual([1, 3, 13, 33, 13, 33]);
    await h.retry(); // a redelivery of the replay: skipped
    expect(values(h)).toEqual([1, 3, 13, 33, 13, 33]);
  });

  it('publishes a pending outbox before copying it, and before rewinding over it', async () => {
    const h = createHarness(sum, { sourcePartitions: 1 });
    h.failAt('after-commit');
    await expect(h.invoke(feed(0, [1]))).rejects.toThrow('injected');
    expect(values(h)).toEqual([]);
    await h.savepoint('s1');
    expect(values(h)).toEqual([1]);

    h.failAt('after-commit');
    await expect(h.invoke(feed(1, [5]))).rejects.toThrow('injected');
    await h.rewind({ kind: 'offsets', offsets: new Map([[0, 0]]), label: 'earliest' });
    // The old history's outputs up to its checkpoint all went out once; then the new history's.
    expect(values(h)).toEqual([1, 6]);
    await h.invoke(feed(0, [1, 5]));
    expect(values(h)).toEqual([1, 6, 1, 6]);
    expect(await h.state()).toEqual({ 'sums/k': 6 });
  });

  it('a reset starts from empty state at the given offsets', async () => {
    const h = createHarness(sum, { sourcePartitions: 2 });
    await h.invoke([...feed(0, [1, 2]), { partition: 1, key: 'j', value: 7 }]);
    const rewound = await h.rewind({
      kind: 'offsets',
      offsets: new Map([
        [0, 1],
        [1, 1],
      ]),
      label: 'latest',
    });
    expect(rewound.map((r) => [r.partition, r.from, r.to, r.stateKeys])).toEqual([
      [0, 2, 1, 0],
      [1, 1, 1, 0],
    ]);
    expect(await h.state(0)).toEqual({});
    await h.invoke(feed(1, [2]));
    expect(await h.state(0)).toEqual({ 'sums/k': 2 });
  });

  it('savepoint names are never reused, and are listed newest first', async () => {
    let now = 1_000;
    const h = createHarness(sum, { sourcePartitions: 1, now: () => now });
    await h.savepoint('a');
    now += 1;
    await h.savepoint('b');
    await expect(h.savepoint('a')).rejects.toThrow('exists already');
    expect((await h.store.savepoints.list('sum')).map((s) => s.name)).toEqual(['b', 'a']);
    await expect(h.savepoint('no/slash')).rejects.toThrow('savepoint name');
  });
});

describe('fencing survives rewinds and restores', () => {
  it('a warm instance with the old history reloads instead of skipping the replayed range', async () => {
    const a = createHarness(sum, { sourcePartitions: 1 });
    const b = a.fork();
    await b.invoke(feed(0, [1, 2, 3])); // b is warm at next 3
    await a.rewind({ kind: 'offsets', offsets: new Map([[0, 0]]), label: 'earliest' });
    await b.invoke(feed(0, [1, 2, 3])); // Lambda hands the replay to the warm instance
    expect(await a.state()).toEqual({ 'sums/k': 6 });
    expect(values(a)).toEqual([1, 3, 6, 1, 3, 6]);
  });

  it('a batch in flight across a rewind is not re-run on the new history when it starts past the rewind point', async () => {
    let release: () => void = () => {};
    let paused = false;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inner = createMemoryStore();
    const store: Store = {
      ...inner,
      async commit(request) {
        if (paused) {
          paused = false;
          await gate;
        }
        return inner.commit(request);
      },
    };
    const a = createHarness(sum, { store, sourcePartitions: 1 });
    const operator = a.fork();
    await a.invoke(feed(0, [1, 2]));
    paused = true;
    const inFlight = a.invoke(feed(2, [3]));
    await new Promise((r) => setTimeout(r, 10));
    await operator.rewind({ kind: 'offsets', offsets: new Map([[0, 0]]), label: 'earliest' });
    release();
    await expect(inFlight).rejects.toMatchObject({ code: 'TASK_REWOUND' });
    expect(await a.checkpoint()).toMatchObject({ next: 0, epoch: 1 });
    expect(await a.state()).toEqual({});
  });

  it('a version restored from a backup does not let a zombie of the lost history commit', async () => {
    const backing: MemoryBacking = new Map();
    const a = createHarness(sum, { store: createMemoryStore(backing) });
    const zombie = a.fork();
    await a.invoke(feed(0, [1]));
    const backup = structuredClone(backing);
    await zombie.invoke(feed(1, [2])); // version 2 of the history about to be lost; zombie warm on it
    // Point-in-time restore of the table to version 1; the new history reaches version 2 again.
    backing.clear();
    for (const [k, v] of backup) backing.set(k, v);
    await a.crash();
    await a.invoke(feed(1, [100]));
    expect((await a.checkpoint())?.version).toBe(2);
    // The zombie builds on its version 2 (another commit id): fenced, then re-run on the current one.
    await zombie.invoke(feed(2, [5]));
    expect(zombie.reruns).toBe(1);
    expect(await a.state()).toEqual({ 'sums/k': 106 });
  });
});

describe('a changed source log is noticed', () => {
  it('a record at the last applied offset with other content fails the batch with the command to run', async () => {
    const h = createHarness(sum);
    await h.invoke(feed(0, [1, 2, 3]));
    await h.invoke(feed(2, [3, 4])); // a redelivery: skipped, then applied from 3
    expect(await h.state()).toEqual({ 'sums/k': 10 });
    const error = await h.invoke([{ key: 'k', value: 99, offset: 3 }]).catch((e: SluiceError) => e);
    expect(error).toMatchObject({ code: 'SOURCE_CHANGED', retriable: false });
    expect((error as Error).message).toContain('sluice reset sum --partition 0');
    expect(await h.state()).toEqual({ 'sums/k': 10 });
  });

  it('a broker-stamped record below the checkpoint appended after its commit fails the batch', async () => {
    const now = 1_700_000_000_000;
    const h = createHarness(sum, { now: () => now });
    await h.invoke(feed(0, [1, 2, 3]));
    const event = h.event([{ key: 'k', value: 7, offset: 0, timestamp: now + 3_600_000 }]) as {
      records: Record<string, Array<{ timestampType: string }>>;
    };
    for (const records of Object.values(event.records))
      for (const r of records) r.timestampType = 'LOG_APPEND_TIME';
    await expect(h.invokeEvent(event)).rejects.toMatchObject({ code: 'SOURCE_CHANGED' });
    // The same record with its CreateTime proves nothing (producers set it): skipped.
    await h.invoke([{ key: 'k', value: 7, offset: 0, timestamp: now + 3_600_000 }]);
  });

  it('a large forward gap is a warning, a small one information', async () => {
    const lines: Array<[string, string]> = [];
    const log: Logger = {
      debug: () => {},
      info: (m) => lines.push(['info', m]),
      warn: (m) => lines.push(['warn', m]),
      error: (m) => lines.push(['error', m]),
    };
    const h = createHarness(sum, { log });
    await h.invoke(feed(0, [1]));
    await h.invoke(feed(3, [1]));
    await h.invoke(feed(5_000, [1]));
    expect(lines.filter(([, m]) => m.includes('gap') || m.includes('offsets missing'))).toEqual([
      ['info', expect.stringContaining('offset gap')],
      ['warn', expect.stringContaining('4996 offsets missing')],
    ]);
  });
});
