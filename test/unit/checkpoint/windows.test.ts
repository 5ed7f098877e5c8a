import { expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, window } from '../../../lib';
import { createHarness } from '../../../lib/testing/harness';

const T0 = 1_700_000_000_000;

it('puts a record in every hopping window of its time, and emits each once when it closes', async () => {
  const hopping = defineFunction({
    name: 'hopping',
    source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
    windows: {
      sums: window.hopping({ sizeMs: 10, advanceMs: 5, sink: 'out' }).reduce((a: number, b: number) => a + b),
    },
    sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
    process(batch, { windows }) {
      for (const r of batch.records) windows.sums.add(r);
    },
  });
  const h = createHarness(hopping);
  await h.invoke([
    { key: 'k', value: 1, timestamp: T0 + 7 }, // [T0, T0+10) and [T0+5, T0+15)
    { key: 'k', value: 2, timestamp: T0 + 12 }, // [T0+5, T0+15) and [T0+10, T0+20)
    { key: 'k', value: 4, timestamp: T0 + 40 }, // closes all three
  ]);
  expect(h.published().map((m) => m.value)).toEqual([
    { key: 'k', start: T0, end: T0 + 10, value: 1, final: true },
    { key: 'k', start: T0 + 5, end: T0 + 15, value: 3, final: true },
    { key: 'k', start: T0 + 10, end: T0 + 20, value: 2, final: true },
  ]);
});

it('emits on every update when asked, merges the sessions a record bridges, and a failed batch changes nothing', async () => {
  let fail = false;
  const sessions = defineFunction({
    name: 'sessions',
    source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
    time: { graceMs: 50 },
    windows: {
      visits: window.session({ gapMs: 20, sink: 'out', emitOnUpdate: true }).aggregate({
        initial: { n: 0, values: [] as number[] },
        // Mutates its accumulator in place, as user code may.
        add(acc, value: number) {
          acc.n += 1;
          acc.values.push(value);
          return acc;
        },
        merge: (a, b) => ({ n: a.n + b.n, values: [...a.values, ...b.values] }),
      }),
    },
    sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
    process(batch, { windows }) {
      for (const r of batch.records) windows.visits.add(r);
      if (fail) throw new Error('boom');
    },
  });
  const h = createHarness(sessions);
  await h.invoke([
    { key: 'u', value: 1, timestamp: T0 },
    { key: 'u', value: 2, timestamp: T0 + 30 }, // a second session
  ]);
  fail = true;
  await expect(h.invoke([{ key: 'u', value: 3, timestamp: T0 + 31 }])).rejects.toThrow('boom');
  fail = false;
  await h.retry();
  await h.invoke([{ key: 'u', value: 9, timestamp: T0 + 15 }]); // bridges both sessions
  await h.invoke([{ key: 'u', value: 0, timestamp: T0 + 200 }]); // closes the merged one
  const values = h
    .published()
    .map((m) => m.value as { start: number; end: number; value: unknown; final: boolean });
  expect(values.filter((v) => v.final)).toEqual([
    { key: 'u', start: T0, end: T0 + 51, value: { n: 4, values: [1, 2, 3, 9] }, final: true },
  ]);
  expect(values.filter((v) => !v.final).map((v) => (v.value as { n: number }).n)).toEqual([1, 1, 2, 4, 1]);
});

it('counts late records and sends them to the late sink', async () => {
  const late = defineFunction({
    name: 'late',
    source: { topic: 'in', key: serde.string(), value: serde.json<number>() },
    time: { graceMs: 5 },
    windows: { w: window.tumbling({ sizeMs: 10, sink: 'out', lateSink: 'late' }).count() },
    sinks: {
      out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }),
      late: kafkaSink({ topic: 'late', value: serde.json<unknown>() }),
    },
    process(batch, { windows }) {
      for (const r of batch.records) windows.w.add(r);
    },
  });
  const h = createHarness(late);
  await h.invoke([
    { key: 'a', value: 1, timestamp: T0 + 1 },
    { key: 'a', value: 1, timestamp: T0 + 14 }, // watermark T0+9: [T0, T0+10) still open
    { key: 'a', value: 1, timestamp: T0 + 8 }, // in time
    { key: 'a', value: 1, timestamp: T0 + 16 }, // watermark T0+11: closed
    { key: 'a', value: 7, timestamp: T0 + 9 }, // late
  ]);
  expect(h.published('out').map((m) => m.value)).toEqual([
    { key: 'a', start: T0, end: T0 + 10, value: 2, final: true },
  ]);
  expect(h.published('late').map((m) => m.value)).toEqual([{ key: 'a', time: T0 + 9, value: 7 }]);
  expect((await h.state())['$late/w']).toBe(1);
});
