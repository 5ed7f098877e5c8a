import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/unique-name';
import { committed, emulate, produce, range, recorder, testKafka, testTopic, trigger } from './helpers';

const numbered = (from: number, count: number, timestamp?: (i: number) => number) =>
  range(from, from + count - 1).map((i) => ({
    value: `m${i}`,
    ...(timestamp && { timestamp: timestamp(i) }),
  }));

describe('trigger emulator: starting positions', () => {
  it('TRIM_HORIZON starts at the oldest record', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    await produce(kafka, topic, numbered(0, 3));
    const fn = recorder();
    const emulator = await emulate(kafka, [
      { name: 'trim', handler: fn.handler, triggers: [trigger({ topic, startingPosition: 'TRIM_HORIZON' })] },
    ]);
    await produce(kafka, topic, numbered(3, 2));
    await committed(emulator, [5]);
    expect(fn.values()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('LATEST skips what was there before the start and delivers what comes after', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 2);
    await produce(kafka, topic, [
      ...numbered(0, 3).map((m) => ({ ...m, partition: 0 })),
      { value: 'x', partition: 1 },
    ]);
    const fn = recorder();
    const emulator = await emulate(kafka, [
      { name: 'latest', handler: fn.handler, triggers: [trigger({ topic, startingPosition: 'LATEST' })] },
    ]);
    await produce(
      kafka,
      topic,
      numbered(3, 2).map((m) => ({ ...m, partition: 0 })),
    );
    await committed(emulator, [5, 1]);
    expect(fn.values(0)).toEqual(['m3', 'm4']);
    expect(fn.values(1)).toEqual([]);
  });

  it('AT_TIMESTAMP starts at the first record at or after the timestamp', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const base = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await produce(
      kafka,
      topic,
      numbered(0, 6, (i) => base + i * 1_000),
    );
    const fn = recorder();
    const emulator = await emulate(kafka, [
      {
        name: 'timestamp',
        handler: fn.handler,
        triggers: [
          trigger({
            topic,
            startingPosition: 'AT_TIMESTAMP',
            startingPositionTimestamp: (base + 3_000) / 1000,
          }),
        ],
      },
    ]);
    await committed(emulator, [6]);
    expect(fn.values()).toEqual(['m3', 'm4', 'm5']);
    expect(fn.seen[0]!.records[0]!.timestamp).toBe(base + 3_000);
  });

  it('an existing consumer group resumes from its committed offsets, whatever the starting position', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const group = uniqueName('group');
    await produce(kafka, topic, numbered(0, 4));
    const first = recorder();
    const one = await emulate(kafka, [
      {
        name: 'first',
        handler: first.handler,
        triggers: [trigger({ topic, consumerGroupId: group, startingPosition: 'TRIM_HORIZON' })],
      },
    ]);
    await committed(one, [4]);
    await one.stop();
    await produce(kafka, topic, numbered(4, 2));

    const second = recorder();
    const two = await emulate(kafka, [
      {
        name: 'second',
        handler: second.handler,
        triggers: [trigger({ topic, consumerGroupId: group, startingPosition: 'LATEST' })],
      },
    ]);
    await committed(two, [6]);
    expect(second.values()).toEqual(['m4', 'm5']);
  });
});
