/**
 * Benchmark: windows and timers (issue 15), memory store, in process.
 * 1. Windowed aggregation against the same counts in plain map state: one word per record,
 *    500-record batches, 10 s tumbling windows of event time (100 records per second of event
 *    time, so windows close as the batches go), arms interleaved round by round; the ratio is
 *    windowed time / plain time.
 * 2. Commit cost with many timers: a batch registering 10 event-time timers on top of 1k, 100k
 *    and 1M registered ones; the delta it commits (bytes) and its wall time. Timers are reserved
 *    state keys, so the commit writes only those that changed: flat in the number of timers, as
 *    the aws store's commit is in the number of state keys (commit-cost).
 */
import { performance } from 'node:perf_hooks';
import { defineFunction, type KafkaHandler, kafkaSink, serde, state, window } from '../lib';
import { createHarness } from '../lib/testing/harness';
import { runBench } from './lib/bench';
import { fmtInt, fmtNum, fmtRatio } from './lib/format';
import { median, ratioOf } from './lib/stats';

const T0 = 1_700_000_000_000;
const WORDS = Array.from({ length: 500 }, (_, i) => `w${i}`);
const BATCH = 500;
const NEW_TIMERS = 10;

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

async function countRun(fn: KafkaHandler, records: number): Promise<number> {
  const h = createHarness(fn);
  const start = performance.now();
  for (let i = 0; i < records; i += BATCH) {
    await h.invoke(
      Array.from({ length: BATCH }, (_, j) => ({
        value: WORDS[(i + j) % WORDS.length],
        timestamp: T0 + (i + j) * 10,
      })),
    );
  }
  return performance.now() - start;
}

async function timerCommit(registered: number): Promise<{ bytes: number; ms: number }> {
  const fn = defineFunction({
    name: 'timers',
    source: { topic: 'in', value: serde.json<number>() },
    process(batch, { timers, time }) {
      for (const r of batch.records) {
        const at = time.at(r).eventTime + 10_000_000;
        for (let i = 0; i < r.value; i++) timers.registerEventTime(`k${r.offset}-${i}`, at + i);
      }
    },
    onTimer() {},
  });
  const h = createHarness(fn);
  await h.invoke([{ value: registered }]);
  await h.invoke([{ value: 1 }]); // the first firing builds the timer index (once per load)
  let bytes = 0;
  const commit = h.store.commit.bind(h.store);
  h.store.commit = async (request) => {
    bytes = JSON.stringify(request.delta).length;
    return commit(request);
  };
  const rounds = 20;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await h.invoke([{ value: NEW_TIMERS }]);
  return { bytes, ms: (performance.now() - start) / rounds };
}

runBench({ name: 'windows', title: 'Windows and timers', script: import.meta.url }, async (ctx) => {
  const records = ctx.pick({ full: 200_000, smoke: 20_000 });
  const rounds = ctx.pick({ full: 5, smoke: 2 });
  ctx.method(
    `windowed count (10 s tumbling, per word) vs plain map count, ${fmtInt(records)} records in batches of ${BATCH}, ` +
      `memory store, ${rounds} interleaved rounds`,
  );
  const times: Record<'plain' | 'windowed', number[]> = { plain: [], windowed: [] };
  await countRun(plain, BATCH * 4); // warm-up
  await countRun(windowed, BATCH * 4);
  for (let round = 0; round < rounds; round++) {
    times.plain.push(await countRun(plain, records));
    times.windowed.push(await countRun(windowed, records));
    ctx.log(
      `round ${round + 1}: plain ${fmtInt(times.plain.at(-1)!)} ms, windowed ${fmtInt(times.windowed.at(-1)!)} ms`,
    );
  }
  const ratio = ratioOf(times.windowed, times.plain);
  ctx.table({
    title: 'windowed aggregation vs plain map counts (median of rounds)',
    columns: ['arm', 'ms', 'records/s'],
    rows: (['plain', 'windowed'] as const).map((arm) => [
      arm,
      fmtInt(median(times[arm])),
      fmtInt(records / (median(times[arm]) / 1000)),
    ]),
  });
  ctx.target({ label: 'windowed time / plain time', op: '<=', value: 3, ratio });

  const sizes = ctx.pick({ full: [1_000, 100_000, 1_000_000], smoke: [1_000, 100_000] });
  ctx.method(
    `a batch registering ${NEW_TIMERS} timers on top of ${sizes.map(fmtInt).join(', ')} registered ones`,
  );
  const costs = [];
  for (const n of sizes) costs.push({ n, ...(await timerCommit(n)) });
  ctx.table({
    title: `one commit of ${NEW_TIMERS} new timers`,
    columns: ['timers registered', 'delta bytes', 'ms per batch'],
    rows: costs.map((c) => [fmtInt(c.n), fmtInt(c.bytes), fmtNum(c.ms, 2)]),
  });
  const first = costs[0]!;
  const last = costs.at(-1)!;
  const bytesRatio = last.bytes / first.bytes;
  ctx.target({
    label: `delta bytes with ${fmtInt(last.n)} timers / with ${fmtInt(first.n)}`,
    op: 'within',
    value: 0.1,
    ratio: { median: bytesRatio, min: bytesRatio, max: bytesRatio, rounds: [bytesRatio] },
  });
  ctx.note(
    `windowed / plain: ${fmtRatio(ratio)}; commit time ${costs.map((c) => `${fmtNum(c.ms, 2)} ms`).join(' / ')}`,
  );
  ctx.raw('times', times);
  ctx.raw('costs', costs);
});
