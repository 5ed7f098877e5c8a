/**
 * Windows and ticks on the real broker and the aws store (DynamoDB Local + moto): a tumbling
 * window closed by event time in a batch, the last window closed by the scheduled tick (idle
 * advance) whose commit crashes before publishing, a cold process whose tick publishes that
 * outbox under its own end, and a processing-time timer fired by a tick. Outputs are read back
 * read_committed and must hold every result exactly once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, window } from '../../../lib';
import { readCommitted } from '../../chaos/readers';
import { type ChaosEnv, chaosTopics, closeChaosEnv, openChaosEnv, startProcess } from '../chaos/setup';

let env: ChaosEnv;
beforeAll(async () => {
  env = await openChaosEnv();
});
afterAll(async () => closeChaosEnv(env));

it('closes windows by event time and by the tick, publishing each result exactly once across a crash', async () => {
  const { source, sink } = await chaosTopics(env, { source: 1, sink: 1 });
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: T0 };
  const handler = defineFunction({
    name: `windows-${source.slice(-8)}`,
    source: { topic: source, key: serde.string(), value: serde.string() },
    time: { graceMs: 1_000, idleAdvanceMs: 5_000 },
    windows: { perWord: window.tumbling({ sizeMs: 10_000, sink: 'out' }).count() },
    sinks: { out: kafkaSink({ topic: sink, value: serde.json<unknown>() }) },
    process(batch, { windows, timers, time }) {
      for (const record of batch.records) {
        windows.perWord.add(record);
        timers.registerProcessingTime('reminder', time.now + 60_000);
      }
    },
    onTimer(timer, { emit }) {
      emit.out({ key: timer.key, value: { timer: timer.kind, time: timer.time } });
    },
  });
  const first = startProcess(env, handler, undefined, { now: () => clock.now });
  const at = (key: string, ms: number) => ({ key, value: key, timestamp: T0 + ms });
  await first.harness.invoke([at('a', 1_000), at('b', 2_000), at('a', 3_000)]);
  await first.harness.invoke([at('a', 12_000), at('a', 13_000)]); // watermark 12 s: [0, 10 s) closes
  clock.now += 30_000;
  first.harness.failAt('after-commit');
  await expect(first.harness.flush()).rejects.toThrow(/injected fault/); // tick closed [10 s, 20 s)
  await first.abandon();

  const cold = startProcess(env, handler, undefined, { now: () => clock.now });
  clock.now += 40_000; // the reminder is due
  await cold.harness.flush(); // publishes the crashed tick's outbox, then fires the reminder
  await cold.harness.flush(); // nothing due: commits nothing, publishes nothing
  const seen = await readCommitted(env.kafka, sink, { expected: 4 });
  const values = seen.map((r) => JSON.parse(r.value));
  expect(values).toEqual([
    { key: 'a', start: T0, end: T0 + 10_000, value: 2, final: true },
    { key: 'b', start: T0, end: T0 + 10_000, value: 1, final: true },
    { key: 'a', start: T0 + 10_000, end: T0 + 20_000, value: 2, final: true },
    { timer: 'processing', time: T0 + 60_000 },
  ]);
  await cold.abandon();
}, 120_000);
