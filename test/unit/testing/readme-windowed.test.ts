import { expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, window } from '../../../lib';
import { createHarness } from '../../../lib/testing/harness';

// The windowed function of README.md ("Event time, timers and windows"), as written there.
const handler = defineFunction({
  name: 'words-per-10s',
  source: { topic: 'words', value: serde.string() },
  time: { graceMs: 2_000, idleAdvanceMs: 5_000 },
  windows: { perWord: window.tumbling({ sizeMs: 10_000, sink: 'counts', lateSink: 'late' }).count() },
  sinks: {
    counts: kafkaSink({ topic: 'word-counts-10s', value: serde.json() }),
    late: kafkaSink({ topic: 'late-words', value: serde.json() }),
  },
  process(batch, { windows }) {
    for (const record of batch.records) windows.perWord.add(record, record.value);
  },
});

it('counts words per 10 s window, closes the last one by the tick, and sends late words aside', async () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  let now = T0 + 10_000;
  const h = createHarness(handler, { now: () => now });
  await h.invoke([
    { value: 'kafka', timestamp: T0 + 1_000 },
    { value: 'flink', timestamp: T0 + 9_000 },
    { value: 'kafka', timestamp: T0 + 13_000 }, // watermark T0 + 11 s: [T0, T0 + 10 s) closes
    { value: 'kafka', timestamp: T0 + 2_000 }, // late
  ]);
  expect(h.published('counts').map((m) => m.value)).toEqual([
    { key: 'flink', start: T0, end: T0 + 10_000, value: 1, final: true },
    { key: 'kafka', start: T0, end: T0 + 10_000, value: 1, final: true },
  ]);
  expect(h.published('late').map((m) => m.value)).toEqual([
    { key: 'kafka', time: T0 + 2_000, value: 'kafka' },
  ]);
  now += 20_000; // input stopped: the tick moves stream time to now - 5 s
  await h.flush();
  expect(h.published('counts').at(-1)?.value).toEqual({
    key: 'kafka',
    start: T0 + 10_000,
    end: T0 + 20_000,
    value: 1,
    final: true,
  });
});
