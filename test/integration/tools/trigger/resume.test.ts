import { describe, expect, it } from 'vitest';
import { defineFunction, serde, state } from '../../../../lib';
import { silentLogger } from '../../../../lib/core/log';
import { createRuntime } from '../../../../lib/lambda/runtime';
import { createMemoryStore } from '../../../../lib/store/memory';
import { createInProcessInvoker } from '../../../../tools/trigger/invoker';
import { uniqueName } from '../../helpers/unique-name';
import { committed, emulate, produce, range, sleep, testKafka, testTopic, trigger, waitFor } from './helpers';

/** A stateful Sluice function: per partition, the sum and the count of the numbers it applied. */
function summer(topic: string, delivered: number[]) {
  return defineFunction({
    name: 'summer',
    source: { topic, value: serde.json<number>() },
    state: { sum: state.value(0), count: state.value(0) },
    async process(batch, { state }) {
      for (const record of batch.records) {
        delivered.push(record.value);
        state.sum.set((state.sum.get() ?? 0) + record.value);
        state.count.set((state.count.get() ?? 0) + 1);
      }
      await sleep(5);
    },
  });
}

describe('trigger emulator: consumer-group resume', () => {
  it('after a clean restart, continues from the committed offsets (no record twice, none lost)', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 2);
    const group = uniqueName('group');
    const store = createMemoryStore();
    const run = async (delivered: number[]) =>
      emulate(kafka, [
        {
          name: 'summer',
          invoker: createInProcessInvoker(summer(topic, delivered), {
            getRuntime: async () => createRuntime({ store, log: silentLogger }),
          }),
          triggers: [trigger({ topic, consumerGroupId: group, batchSize: 10 })],
        },
      ]);

    await produce(
      kafka,
      topic,
      range(1, 40).map((n) => ({ partition: n % 2, value: String(n) })),
    );
    const firstRun: number[] = [];
    const one = await run(firstRun);
    await committed(one, [20, 20]);
    await one.stop();

    await produce(
      kafka,
      topic,
      range(41, 60).map((n) => ({ partition: n % 2, value: String(n) })),
    );
    const secondRun: number[] = [];
    const two = await run(secondRun);
    await committed(two, [30, 30]);
    await two.stop();

    expect([...firstRun].sort((a, b) => a - b)).toEqual(range(1, 40));
    expect([...secondRun].sort((a, b) => a - b)).toEqual(range(41, 60));
    const loaded = await Promise.all(
      [0, 1].map((partition) => store.load({ fn: 'summer', topic, partition })),
    );
    expect(loaded.map((l) => l?.checkpoint.next)).toEqual([30, 30]);
  });

  it('after a stop mid-stream, resumes at the first uncommitted record; a full redelivery changes no state', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const group = uniqueName('group');
    const store = createMemoryStore();
    const run = async (delivered: number[], batchSize: number, consumerGroupId = group) =>
      emulate(kafka, [
        {
          name: 'summer',
          invoker: createInProcessInvoker(summer(topic, delivered), {
            getRuntime: async () => createRuntime({ store, log: silentLogger }),
          }),
          triggers: [trigger({ topic, consumerGroupId, batchSize })],
        },
      ]);
    await produce(
      kafka,
      topic,
      range(1, 200).map((n) => ({ value: String(n) })),
    );

    const firstRun: number[] = [];
    const one = await run(firstRun, 5);
    await waitFor(() => firstRun.length >= 50, { message: '50 records in the first run' });
    await one.stop();
    const stoppedAt = one.stats().triggers[0]!.partitions[0]!.committed!;
    expect(stoppedAt).toBeGreaterThanOrEqual(50);
    expect(stoppedAt).toBeLessThan(200);

    const secondRun: number[] = [];
    const two = await run(secondRun, 50);
    await committed(two, [200]);
    expect(secondRun[0]).toBe(stoppedAt + 1);
    expect([...firstRun.slice(0, stoppedAt), ...secondRun]).toEqual(range(1, 200));
    await two.stop();
    const loaded = await store.load({ fn: 'summer', topic, partition: 0 });
    expect(Object.fromEntries(loaded!.state)).toEqual({ sum: (200 * 201) / 2, count: 200 });

    // A new group re-reads all 200 records (at least once): Sluice's checkpoint skips them all.
    const thirdRun: number[] = [];
    const three = await run(thirdRun, 100, uniqueName('group'));
    await committed(three, [200]);
    expect(three.stats().triggers[0]!.delivered).toBe(200);
    expect(thirdRun).toEqual([]);
    const after = await store.load({ fn: 'summer', topic, partition: 0 });
    expect(Object.fromEntries(after!.state)).toEqual({ sum: (200 * 201) / 2, count: 200 });
  });
});
