import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/unique-name';
import { emulate, produce, range, recorder, sleep, testKafka, testTopic, trigger, waitFor } from './helpers';

describe('trigger emulator: rebalance', () => {
  it('shares the partitions with a second emulator in the group; together they deliver everything, in order', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 4);
    const group = uniqueName('group');
    const total = 800;
    await produce(
      kafka,
      topic,
      range(0, total - 1).map((i) => ({ partition: i % 4, value: String(i) })),
    );
    const settings = () => [trigger({ topic, consumerGroupId: group, batchSize: 2 })];

    const a = recorder(() => sleep(50));
    await emulate(kafka, [{ name: 'a', handler: a.handler, triggers: settings() }]);
    await waitFor(() => a.count() >= 20, { message: 'the first emulator started delivering' });
    const b = recorder(() => sleep(50));
    await emulate(kafka, [{ name: 'b', handler: b.handler, triggers: settings() }]);

    const admin = kafka.admin();
    await waitFor(
      async () => {
        const offsets = await admin.committedOffsets(group, topic);
        return range(0, 3).every((p) => offsets.get(p) === total / 4);
      },
      { message: 'the group committed every partition to its end', timeoutMs: 60_000, intervalMs: 200 },
    );
    await admin.disconnect();

    expect(b.count()).toBeGreaterThan(0);
    for (const partition of range(0, 3)) {
      const fromA = a.offsets(partition);
      const fromB = b.offsets(partition);
      // Each emulator delivers a partition in order while it owns it...
      for (const offsets of [fromA, fromB]) expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
      // ...and together nothing is lost (a batch in flight during the handover may come twice).
      expect(new Set([...fromA, ...fromB])).toEqual(new Set(range(0, total / 4 - 1)));
    }
  });
});
