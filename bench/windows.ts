/**
 * Windows and timers, side by side in one run (`npx tsx bench/windows.ts [--smoke]`):
 * 1. a windowed count (10 s tumbling windows per word, closed by event time) against the same
 *    counts in plain map state, over the same records, memory store, printed as a ratio;
 * 2. the cost of one warm commit (delta bytes, wall time of the batch) with 1k, 100k and 1M
 *    event-time timers registered: it should be flat, since a commit writes only changed timers.
 * Standalone for now (not in run-all.ts): the numbers are printed, not written to BENCHMARKS.md.
 */
import { performance } from 'node:perf_hooks';
import { defineFunction, kafkaSink, serde, state, window } from '../lib';
import { createHarness } from '../lib/testing/harness';

const smoke = process.argv.includes('--smoke');
const T0 = 1_700_000_000_000;
const WORDS = Array.from({ length: 500 }, (_, i) => `w${i}`);

const plain = defineFunction({
  name: 'plain',
  source: { topic: 'in', value: serde.string() },
  state: { counts: state.map<number>() },
  process(batch, { state }) {
    for (const r of batch.records) state.counts.set(r.value, (state.counts.get(r.value) ?? 0) + 1);
  },
});
const windowed = defineFunction({
  name: 'windowed',
  source: { topic: 'in', value: serde.string() },
  windows: { perWord: window.tumbling({ sizeMs: 10_000, sink: 'out' }).count() },
  sinks: { out: kafkaSink({ topic: 'out', value: serde.json<unknown>() }) },
  process(batch, { windows }) {
    for (const r of batch.records) windows.perWord.add(r, r.value);
  },
});

async function countRun(fn: typeof plain, records: number, batch: number): Promise<number> {
  const h = createHarness(fn);
  const start = performance.now();
  for (let i = 0; i < records; i += batch) {
    await h.invoke(
      Array.from({ length: batch }, (_, j) => ({
        value: WORDS[(i + j) % WORDS.length],
        timestamp: T0 + (i + j) * 10, // 100 records per second of event time
      })),
    );
  }
  return performance.now() - start;
}

async function timerCommit(timers: number): Promise<{ bytes: number; ms: number }> {
  const fn = defineFunction({
    name: 'timers',
    source: { topic: 'in', value: serde.json<number>() },
    process(batch, { timers: t, time }) {
      for (const r of batch.records) {
        for (let i = 0; i < r.value; i++)
          t.registerEventTime(`k${r.offset}-${i}`, time.at(r).eventTime + 10_000_000 + i);
      }
    },
    onTimer() {},
  });
  const h = createHarness(fn);
  await h.invoke([{ value: timers }]);
  await h.invoke([{ value: 1 }]); // builds the index once (a load does)
  let bytes = 0;
  const commit = h.store.commit.bind(h.store);
  h.store.commit = async (request) => {
    bytes = JSON.stringify(request.delta).length;
    return commit(request);
  };
  const start = performance.now();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) await h.invoke([{ value: 10 }]);
  return { bytes, ms: (performance.now() - start) / rounds };
}

const records = smoke ? 20_000 : 200_000;
const base = await countRun(plain, records, 500);
const win = await countRun(windowed as typeof plain, records, 500);
console.log(
  `windowed count vs plain map count, ${records} records in batches of 500: ${win.toFixed(0)} ms vs ${base.toFixed(0)} ms = ${(win / base).toFixed(2)}x`,
);
for (const n of smoke ? [1_000, 100_000] : [1_000, 100_000, 1_000_000]) {
  const { bytes, ms } = await timerCommit(n);
  console.log(
    `${n} timers registered: a batch registering 10 more commits ${bytes} delta bytes in ${ms.toFixed(2)} ms`,
  );
}
