import { describe, expect, it } from 'vitest';
import type { EmulatorStats } from '../../../../tools/trigger/stats';
import { emulate, produce, range, recorder, sleep, testKafka, testTopic, trigger } from './helpers';

const MB = 1024 * 1024;

describe('trigger emulator: backpressure', () => {
  it('slows consumption to a slow function instead of buffering the topic: memory stays flat', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 2);
    // 30 MB on the topic, produced far faster than the function drains it.
    const payload = 'x'.repeat(1_000);
    const total = 30_000;
    await produce(
      kafka,
      topic,
      range(0, total - 1).map((i) => ({ partition: i % 2, value: `${i}:${payload}` })),
    );

    // 10 records per 50 ms per partition: ~400 records/s, over 100x slower than the input.
    const fn = recorder(() => sleep(50));
    const emulator = await emulate(kafka, [
      { name: 'slow', handler: fn.handler, triggers: [trigger({ topic, batchSize: 10 })] },
    ]);
    const before = process.memoryUsage();
    const samples: Array<{ stats: EmulatorStats; rss: number; heap: number }> = [];
    for (let i = 0; i < 40; i++) {
      await sleep(100);
      const memory = process.memoryUsage();
      samples.push({ stats: emulator.stats(), rss: memory.rss, heap: memory.heapUsed });
    }

    const partitions = samples.flatMap((s) => s.stats.triggers[0]!.partitions);
    const maxBuffered = Math.max(...partitions.map((p) => p.bufferedBytes));
    const peakRss = Math.max(...samples.map((s) => s.rss));
    const peakHeap = Math.max(...samples.map((s) => s.heap));
    const last = samples.at(-1)!.stats.triggers[0]!;
    console.log(
      `backpressure: delivered ${last.delivered}/${total} in 4 s, lag ${last.lag}, ` +
        `max buffered per partition ${(maxBuffered / MB).toFixed(2)} MB, ` +
        `RSS ${(before.rss / MB).toFixed(0)} → peak ${(peakRss / MB).toFixed(0)} MB, ` +
        `heap ${(before.heapUsed / MB).toFixed(0)} → peak ${(peakHeap / MB).toFixed(0)} MB`,
    );

    // The function kept its pace; the rest stayed in Kafka, not in memory.
    expect(last.delivered).toBeLessThan(total / 5);
    expect(last.lag).toBeGreaterThan(total / 2);
    expect(partitions.some((p) => p.paused)).toBe(true);
    // Bounded buffer: one batch of 10 waiting + at most one fetch (1 MB per partition).
    expect(maxBuffered).toBeLessThan(2 * MB);
    expect(Math.max(...partitions.map((p) => p.buffered))).toBeLessThan(2_000);
    // Generous: the topic holds 30 MB; an unbounded prefetch would hold it all (plus kafkajs copies).
    expect(peakHeap - before.heapUsed).toBeLessThan(60 * MB);
    expect(peakRss - before.rss).toBeLessThan(100 * MB);
    // Order held throughout.
    for (const partition of [0, 1]) {
      const offsets = fn.offsets(partition);
      expect(offsets).toEqual(range(0, offsets.length - 1));
    }
  });
});
