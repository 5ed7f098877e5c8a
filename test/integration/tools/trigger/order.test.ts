import { describe, expect, it } from 'vitest';
import {
  committed,
  emulate,
  produce,
  range,
  recorder,
  sleep,
  testKafka,
  testTopic,
  trigger,
} from './helpers';

/** `count` records per partition, value `<partition>:<seq>`, produced interleaved across partitions. */
function interleaved(partitions: number, count: number) {
  return range(0, count - 1).flatMap((seq) =>
    range(0, partitions - 1).map((partition) => ({
      partition,
      key: `k${partition}`,
      value: `${partition}:${seq}`,
    })),
  );
}

describe('trigger emulator: order and parallelism', () => {
  it('delivers each partition in produced order, exactly once, with partitions in parallel', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 4);
    await produce(kafka, topic, interleaved(4, 60));
    const fn = recorder(() => sleep(5 + Math.random() * 10));
    const emulator = await emulate(kafka, [
      { name: 'order', handler: fn.handler, triggers: [trigger({ topic, batchSize: 7 })] },
    ]);
    await committed(emulator, [60, 60, 60, 60]);

    for (const partition of range(0, 3)) {
      expect(fn.offsets(partition)).toEqual(range(0, 59));
      expect(fn.values(partition)).toEqual(range(0, 59).map((seq) => `${partition}:${seq}`));
    }
    expect(fn.stats.maxPerPartition).toBe(1);
    expect(fn.stats.maxActive).toBeGreaterThan(1);
    expect(fn.seen.every((s) => s.records.length <= 7)).toBe(true);
    expect(emulator.stats().triggers[0]).toMatchObject({ delivered: 240, errors: 0, lag: 0 });
  });

  it('with more partitions than concurrent invocations, partitions take turns, each still in order', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 6);
    await produce(kafka, topic, interleaved(6, 20));
    const fn = recorder(() => sleep(10));
    const emulator = await emulate(kafka, [
      {
        name: 'narrow',
        handler: fn.handler,
        maxConcurrency: 2,
        triggers: [trigger({ topic, batchSize: 5 })],
      },
    ]);
    await committed(emulator, [20, 20, 20, 20, 20, 20]);
    for (const partition of range(0, 5)) expect(fn.offsets(partition)).toEqual(range(0, 19));
    expect(fn.stats.maxActive).toBe(2);
  });

  it('with fewer partitions than allowed invocations, concurrency is one per partition', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 2);
    await produce(kafka, topic, interleaved(2, 30));
    const fn = recorder(() => sleep(10));
    const emulator = await emulate(kafka, [
      { name: 'wide', handler: fn.handler, maxConcurrency: 8, triggers: [trigger({ topic, batchSize: 3 })] },
    ]);
    await committed(emulator, [30, 30]);
    for (const partition of range(0, 1)) expect(fn.offsets(partition)).toEqual(range(0, 29));
    expect(fn.stats.maxActive).toBe(2);
    expect(fn.stats.maxPerPartition).toBe(1);
  });

  it('waits for the batching window to fill a batch', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const fn = recorder();
    const emulator = await emulate(kafka, [
      {
        name: 'window',
        handler: fn.handler,
        triggers: [trigger({ topic, batchSize: 100, maximumBatchingWindow: 1 })],
      },
    ]);
    await produce(kafka, topic, [{ value: 'a' }]);
    await sleep(100);
    await produce(kafka, topic, [{ value: 'b' }, { value: 'c' }]);
    await committed(emulator, [3]);
    expect(fn.seen.map((s) => s.records.length)).toEqual([3]);
  });
});
