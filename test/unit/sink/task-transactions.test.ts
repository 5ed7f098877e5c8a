import { describe, expect, it } from 'vitest';
import type { TaskId } from '../../../lib/core/checkpoint';
import { outboxGroupId, transactionalIdOf } from '../../../lib/core/task';
import {
  abortTaskTransaction,
  inspectTaskTransactions,
  markOutboxPublished,
} from '../../../lib/sink/task-transactions';
import { createMemoryStore } from '../../../lib/store/memory';
import { createFakeBroker } from './fake-kafkajs';

const target = { fn: 'wc', topic: 'in', sinks: { out: { kind: 'kafka' }, log: { kind: 'log' } } };
const task = (partition: number): TaskId => ({ fn: 'wc', topic: 'in', partition });
const marker = (partition: number) => `${outboxGroupId('test', 'wc')}|in|${partition}`;

async function setup() {
  const broker = createFakeBroker();
  broker.partitionCounts.set('in', 4);
  const store = createMemoryStore();
  const commit = (partition: number, outbox: { endOffset: number; sinks: string[] } | null) =>
    store.commit({
      task: task(partition),
      expectedVersion: 0,
      next: (outbox?.endOffset ?? 0) + 1,
      delta: { set: [], del: [] },
      stateKeys: 0,
      outbox: outbox && {
        firstOffset: 0,
        endOffset: outbox.endOffset,
        messages: outbox.sinks.map((sink) => ({ sink, key: null, value: 'eA==' })),
      },
      committedAt: 1,
    });
  await commit(0, { endOffset: 9, sinks: ['out', 'out'] }); // pending
  await commit(1, { endOffset: 4, sinks: ['out'] }); // published (marker set below)
  await commit(2, { endOffset: 2, sinks: ['log'] }); // not tracked by the marker
  await commit(3, null);
  broker.offsets.set(marker(1), 5);
  return { broker, store };
}

describe('inspectTaskTransactions', () => {
  it('shows per task the checkpoint, the outbox and whether the marker covers it', async () => {
    const { broker, store } = await setup();
    const states = await inspectTaskTransactions({ namespace: 'test', target, store, kafka: broker.port });
    expect(
      states.map((s) => [
        s.partition,
        s.version,
        s.next,
        s.outbox?.kafkaMessages ?? null,
        s.marker,
        s.status,
      ]),
    ).toEqual([
      [0, 1, 10, 2, null, 'pending'],
      [1, 1, 5, 1, 5, 'published'],
      [2, 1, 3, 0, null, 'n/a'],
      [3, 1, 1, null, null, 'none'],
    ]);
    expect(states[0]!.transactionalId).toBe(transactionalIdOf('test', task(0)));
    expect(broker.calls.some((c) => c.startsWith('init'))).toBe(false); // reads only
    const one = await inspectTaskTransactions({
      namespace: 'test',
      target,
      store,
      kafka: broker.port,
      partition: 1,
    });
    expect(one.map((s) => s.partition)).toEqual([1]);
  });
});

describe('abortTaskTransaction', () => {
  it("inits the task's transactional id: an open transaction of another producer is aborted", async () => {
    const { broker } = await setup();
    const other = broker.kafkajs.producer({ transactionalId: transactionalIdOf('test', task(0)) });
    const txn = await other.transaction();
    await txn.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ value: 'x' }] }] });
    expect(broker.open.size).toBe(1);
    await abortTaskTransaction({ namespace: 'test', kafka: broker.port, task: task(0) });
    expect(broker.open.size).toBe(0);
    expect(broker.topics.size).toBe(0);
    await expect(txn.commit()).rejects.toThrow(/INVALID_PRODUCER_EPOCH/);
  });
});

describe('markOutboxPublished', () => {
  it('commits the marker past the outbox without sending anything; a second call changes nothing', async () => {
    const { broker } = await setup();
    expect(
      await markOutboxPublished({ namespace: 'test', kafka: broker.port, task: task(0), endOffset: 9 }),
    ).toEqual({
      previous: null,
      marker: 10,
      changed: true,
    });
    expect(broker.offsets.get(marker(0))).toBe(10);
    expect(broker.topics.size).toBe(0);
    expect(
      await markOutboxPublished({ namespace: 'test', kafka: broker.port, task: task(0), endOffset: 9 }),
    ).toEqual({
      previous: 10,
      marker: 10,
      changed: false,
    });
  });
});
