/**
 * The protocol as Lambda really runs it (issue "Exactly-once as Lambda really runs it"): warm
 * instances without partition affinity, several invocations in one process, two deployments on
 * one cluster, outputs that can never be published, and calls after process() returned.
 */
import { describe, expect, it } from 'vitest';
import {
  defineFunction,
  kafkaSink,
  LateCallError,
  serde,
  state,
  UnpublishableOutputError,
} from '../../../lib';
import { createMemoryStore } from '../../../lib/store/memory';
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

/** Counts the store calls, to price a re-run. */
function counting(store: Store) {
  const calls = { loads: 0, commits: 0 };
  return {
    calls,
    store: {
      ...store,
      load: (task) => {
        calls.loads++;
        return store.load(task);
      },
      commit: (request) => {
        calls.commits++;
        return store.commit(request);
      },
    } satisfies Store,
  };
}

describe('warm instances without partition affinity', () => {
  it('a stale instance re-runs the batch on the current checkpoint: no failed invocation, one read and one write', async () => {
    const { store, calls } = counting(createMemoryStore());
    const a = createHarness(sum, { store });
    const b = a.fork();
    // The partition alternates between two instances: each hand-over finds the other's commit.
    for (let i = 1; i <= 6; i++) await (i % 2 ? a : b).invoke([{ key: 'k', value: i }]);
    expect(a.reruns + b.reruns).toBe(4); // b's first call was cold; every later hand-over was stale
    // Per stale hand-over: the failed commit, one load, one commit. Plus the two cold loads.
    expect(calls).toEqual({ loads: 2 + 4, commits: 6 + 4 });
    expect(await a.state()).toEqual({ 'sums/k': 21 });
    expect(a.published('out').map((o) => o.value)).toEqual([1, 3, 6, 10, 15, 21]);
  });

  it('fails a batch whose re-run meets a conflict again', async () => {
    const store = createMemoryStore();
    const a = createHarness(sum, { store });
    await a.invoke([{ key: 'k', value: 1 }]);
    const commit = store.commit.bind(store);
    let interfere = 2;
    store.commit = async (request) => {
      // Another invocation commits right before each of ours (without reaching this batch).
      if (interfere-- > 0) await commit({ ...request, next: 1, delta: { set: [], del: [] }, outbox: null });
      return commit(request);
    };
    await expect(a.invoke([{ key: 'k', value: 2 }])).rejects.toThrow(/moved past version/);
  });
});

describe('several invocations at once in one process (Managed Instances)', () => {
  it('runs partitions in parallel and fences an overlap on one partition without corrupting the warm state', async () => {
    const h = createHarness(sum);
    await h.invoke([{ key: 'k', value: 1 }]); // warm
    const event = h.event([
      { key: 'k', value: 10 },
      { partition: 1, key: 'k', value: 5 },
    ]);
    const results = await Promise.allSettled([
      h.invokeEvent(event),
      h.invokeEvent(event),
      h.invokeEvent(event),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    await h.invoke([{ key: 'k', value: 100 }]);
    expect(await h.state(0)).toEqual({ 'sums/k': 111 });
    expect(await h.state(1)).toEqual({ 'sums/k': 5 });
    expect(h.published('out').map((o) => o.value)).toEqual(expect.arrayContaining([1, 11, 5, 111]));
    expect(h.published('out')).toHaveLength(4);
  });
});

describe('two deployments of one function on one cluster', () => {
  it('each publishes all its outputs: no shared transactional id or marker', async () => {
    const dev = createHarness(sum, { namespace: 'sluice-dev' });
    const prod = dev.deployment('sluice-prod');
    await dev.invoke([{ key: 'k', value: 1 }]);
    await prod.invokeEvent(dev.event([{ offset: 0, key: 'k', value: 1 }]));
    await dev.invoke([{ key: 'k', value: 2 }]);
    await prod.invokeEvent(dev.event([{ offset: 1, key: 'k', value: 2 }]));
    expect(dev.published('out').map((o) => o.value)).toEqual([1, 3]);
    expect(prod.published('out').map((o) => o.value)).toEqual([1, 3]);
    expect([...dev.broker.markers.keys()].sort()).toEqual([
      'sluice.sluice-dev.sum.numbers.0',
      'sluice.sluice-prod.sum.numbers.0',
    ]);
  });

  it('rejects a namespace Kafka identities cannot carry', () => {
    expect(() => createHarness(sum, { namespace: 'a.b' })).toThrow(/namespace must be 1-96 letters/);
  });
});

describe('outputs that can never be published fail before the commit', () => {
  const partitioned = defineFunction({
    name: 'partitioned',
    source: { topic: 'in', value: serde.json<{ p: number; size?: number }>() },
    sinks: { out: kafkaSink({ topic: 'out', value: serde.string() }) },
    process(batch, { emit }) {
      for (const r of batch.records)
        emit.out({ key: 'k1', value: 'x'.repeat(r.value.size ?? 1), partition: r.value.p });
    },
  });

  it('a partition the sink topic lacks: an error naming sink, key and limit; nothing committed', async () => {
    const h = createHarness(partitioned);
    h.broker.limits.set('out', { partitions: 3, maxMessageBytes: 1_000 });
    const failed = h.invoke([{ value: { p: 1 } }, { value: { p: 3 } }]);
    await expect(failed).rejects.toThrow(
      /emit\.out\(\) \(topic "out", key "k1"\): partition 3 does not exist; the topic has 3 partitions/,
    );
    await expect(failed).rejects.toMatchObject({
      failures: [{ error: expect.any(UnpublishableOutputError) }],
    });
    expect(await h.checkpoint()).toBeNull();
    expect(h.committedOutboxes).toHaveLength(0);
  });

  it("a record over the topic's max.message.bytes: same", async () => {
    const h = createHarness(partitioned);
    h.broker.limits.set('out', { partitions: 3, maxMessageBytes: 1_000 });
    await expect(h.invoke([{ value: { p: 0, size: 2_000 } }])).rejects.toThrow(
      /is 2\d\d\d bytes \(with overhead\), over the topic's max\.message\.bytes 1000/,
    );
    expect(await h.checkpoint()).toBeNull();
  });

  it('a sink removed while an outbox holds its messages: a cold start names the way out', async () => {
    const store = createMemoryStore();
    const before = createHarness(sum, { store });
    before.failAt('after-commit');
    await expect(before.invoke([{ key: 'k', value: 1 }])).rejects.toThrow('after-commit');
    const renamed = defineFunction({ ...sum.definition, sinks: {} } as never);
    await expect(createHarness(renamed, { store }).retry.call(null)).rejects.toThrow();
    const after = createHarness(renamed, { store });
    await expect(after.invoke([{ key: 'k', value: 2, offset: 1 }])).rejects.toThrow(
      /holds outputs for sink "out", which the function no longer declares.*sluice transactions sum --partition 0 --clear-outbox --yes/,
    );
  });
});

describe('calls after process() returned', () => {
  it('a late emit throws, saying why, and is in no commit', async () => {
    let late: Promise<void> | undefined;
    const sloppy = defineFunction({
      name: 'sloppy',
      source: { topic: 'in', value: serde.string() },
      sinks: { out: kafkaSink({ topic: 'out', value: serde.string() }) },
      process(batch, { emit }) {
        late = (async () => {
          await new Promise((r) => setTimeout(r, 5));
          emit.out({ value: batch.records[0]!.value });
        })();
      },
    });
    const h = createHarness(sloppy);
    await h.invoke([{ value: 'a' }]);
    await expect(late).rejects.toThrow(/emit\.out\(\) after process\(\) returned.*A missing `await`/);
    await expect(late).rejects.toBeInstanceOf(LateCallError);
    expect(h.committedOutboxes).toHaveLength(0);
  });

  it('a late state write throws too', async () => {
    let late: Promise<void> | undefined;
    const sloppy = defineFunction({
      name: 'sloppy-state',
      source: { topic: 'in', value: serde.string() },
      state: { last: state.value('') },
      process(batch, { state }) {
        late = new Promise((r) => setTimeout(r, 5)).then(() => state.last.set(batch.records[0]!.value));
      },
    });
    const h = createHarness(sloppy);
    await h.invoke([{ value: 'a' }]);
    await expect(late).rejects.toThrow(/state write of "last" after process\(\) returned/);
    expect(await h.state()).toEqual({});
  });
});

describe('a warm instance holding an outbox it failed to publish', () => {
  it('does not publish it again after another instance flushed it and the marker expired (a failed publish drops the warm entry)', async () => {
    let now = 1_000_000;
    const a = createHarness(sum, { now: () => now });
    const b = a.fork();
    a.failAt('mid-publish');
    await expect(a.invoke([{ key: 'k', value: 1 }])).rejects.toThrow('mid-publish');
    now += 120_000;
    await b.flush(); // publishes and confirms a's outbox
    now += 8 * 86_400_000;
    a.broker.markers.clear(); // expired
    await a.invoke([{ key: 'k', value: 2 }]);
    expect(a.published('out').map((o) => o.value)).toEqual([1, 3]);
  });
});
