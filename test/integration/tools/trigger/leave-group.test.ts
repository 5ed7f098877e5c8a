/**
 * Restarts do not wait for a dead member: a stopped emulator (Ctrl-C in `sluice dev`) has left its
 * consumer group when stop() resolves, and the emulator's session timeout is short for the case
 * it could not (bench/restart.ts measures restart-to-first-batch for both).
 */
import { expect, it } from 'vitest';
import { DEFAULT_CONSUMER_TUNING } from '../../../../tools/trigger/kafka-source';
import { uniqueName } from '../../helpers/unique-name';
import { committed, emulate, produce, recorder, testKafka, testTopic, trigger } from './helpers';

it('leaves the consumer group on stop, so a restart gets the partitions at once', async () => {
  const kafka = await testKafka();
  const topic = await testTopic(kafka, 2);
  const group = uniqueName('group');
  const fn = recorder();
  const emulator = await emulate(kafka, [
    { name: 'fn', handler: fn.handler, triggers: [trigger({ topic, consumerGroupId: group })] },
  ]);
  await produce(kafka, topic, [
    { partition: 0, value: 'a' },
    { partition: 1, value: 'b' },
  ]);
  await committed(emulator, [1, 1]);
  const admin = kafka.admin();
  expect(await admin.describeGroup(group)).toEqual({ state: 'Stable', members: 1 });
  await emulator.stop();
  expect(await admin.describeGroup(group)).toEqual({ state: 'Empty', members: 0 });
  await admin.disconnect();
});

it("uses the broker's minimum session timeout, so a killed emulator's partitions come back within 6 s", () => {
  expect(DEFAULT_CONSUMER_TUNING.sessionTimeout).toBe(6_000);
  expect(DEFAULT_CONSUMER_TUNING.heartbeatInterval * 3).toBeLessThan(DEFAULT_CONSUMER_TUNING.sessionTimeout);
});
