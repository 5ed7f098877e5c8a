import fc from 'fast-check';
import { expect } from 'vitest';
import { defineFunction, logSink, serde, state } from '../../lib';
import { FAULT_POINTS } from '../../lib/checkpoint/faults';
import type { Store } from '../../lib/store/store';
import { createHarness, type Harness } from '../../lib/testing/harness';

/**
 * The function under test: a keyed running sum where 0 resets a key (a delete), plus a
 * per-partition record count. Every record emits one output, so outputs can be counted.
 */
export const runningSum = defineFunction({
  name: 'running-sum',
  source: { topic: 'numbers.v1-x', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>(), seen: state.value(0) },
  sinks: { out: logSink({ value: serde.json<{ key: string; sum: number }>() }) },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      const sum = record.value === 0 ? 0 : (state.sums.get(record.key) ?? 0) + record.value;
      if (sum === 0) state.sums.delete(record.key);
      else state.sums.set(record.key, sum);
      state.seen.set((state.seen.get() ?? 0) + 1);
      emit.out({ key: record.key, value: { key: record.key, sum } });
    }
  },
});

interface Rec {
  partition: number;
  key: string;
  value: number;
}

/** The reference: every record applied once, in order, per partition. */
function fold(records: Rec[], partition: number) {
  const state: Record<string, number> = {};
  const outputs: Array<{ key: string; sum: number }> = [];
  let seen = 0;
  for (const r of records.filter((r) => r.partition === partition)) {
    const sum = r.value === 0 ? 0 : (state[`sums/${r.key}`] ?? 0) + r.value;
    if (sum === 0) delete state[`sums/${r.key}`];
    else state[`sums/${r.key}`] = sum;
    seen++;
    outputs.push({ key: r.key, sum });
  }
  if (seen > 0) state.seen = seen;
  return { state, outputs };
}

const PARTITIONS = 3;
const step = fc.record({
  kind: fc.constantFrom('deliver', 'deliver', 'deliver', 'redeliver', 'zombie', 'crash'),
  partitions: fc.subarray([0, 1, 2], { minLength: 1 }),
  size: fc.integer({ min: 1, max: 6 }),
  back: fc.integer({ min: 1, max: 6 }),
  fault: fc.option(fc.constantFrom(...FAULT_POINTS), { freq: 2 }),
  faultTimes: fc.integer({ min: 1, max: 2 }),
  crashOnFailure: fc.boolean(),
});
const scenario = fc.record({
  records: fc.array(
    fc.record({
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      key: fc.constantFrom('a', 'b', 'c', 'k.1-x'),
      value: fc.integer({ min: 0, max: 9 }),
    }),
    // fast-check's default size ("small") would keep arrays near 10 long whatever maxLength
    // says: schedules of a couple of batches per partition. "max" spreads them up to the bound.
    { maxLength: 50, size: 'max' },
  ),
  steps: fc.array(step, { maxLength: 25, size: 'max' }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Runs one random schedule of deliveries, faults, re-deliveries, zombies and crashes. */
async function runScenario(
  createStore: () => Promise<Store> | Store,
  s: Scenario,
  stats: Stats,
): Promise<void> {
  const store = await createStore();
  const main = createHarness(runningSum, { store });
  const zombie = main.fork();
  const streams = [0, 1, 2].map((p) => s.records.filter((r) => r.partition === p));
  const cursor = [0, 0, 0];
  const eventFor = (h: Harness, ranges: Array<[number, number, number]>) =>
    h.event(
      ranges.flatMap(([p, from, to]) =>
        streams[p]!.slice(from, to).map((r, i) => ({
          partition: p,
          offset: from + i,
          key: r.key,
          value: r.value,
        })),
      ),
    );
  /** Lambda's retry loop: the same event until it succeeds, optionally after a crash. */
  const deliver = async (ranges: Array<[number, number, number]>, crashOnFailure: boolean) => {
    const event = eventFor(main, ranges);
    for (let attempt = 0; ; attempt++) {
      try {
        await main.invokeEvent(event);
        break;
      } catch (error) {
        stats.failures++;
        if (attempt > 10) throw error;
        if (crashOnFailure) await main.crash();
      }
    }
    for (const [p, , to] of ranges) cursor[p] = Math.max(cursor[p]!, to);
  };

  for (const st of s.steps) {
    const open = st.partitions.filter((p) => cursor[p]! < streams[p]!.length);
    if (st.kind === 'crash') {
      await main.crash();
      stats.crashes++;
    } else if (st.kind === 'redeliver') {
      // An old batch again, overlapping new records: the consumer offset commit was lost.
      const ranges = st.partitions
        .filter((p) => cursor[p]! > 0)
        .map((p): [number, number, number] => [
          p,
          Math.max(0, cursor[p]! - st.back),
          Math.min(streams[p]!.length, cursor[p]! + st.size),
        ]);
      if (ranges.length > 0) await deliver(ranges, st.crashOnFailure);
      stats.redeliveries++;
    } else if (open.length > 0) {
      const ranges = open.map((p): [number, number, number] => [
        p,
        cursor[p]!,
        Math.min(streams[p]!.length, cursor[p]! + st.size),
      ]);
      if (st.kind === 'zombie') {
        // Two Lambda instances get the same batch at once: exactly one commit may win.
        const event = eventFor(main, ranges);
        const results = await Promise.allSettled([main.invokeEvent(event), zombie.invokeEvent(event)]);
        stats.zombies++;
        if (results.some((r) => r.status === 'rejected')) stats.fenced++;
        await deliver(ranges, false);
      } else {
        if (st.fault) {
          main.failAt(st.fault, { partition: open[0], times: st.faultTimes });
          stats.faults++;
        }
        await deliver(ranges, st.crashOnFailure);
        main.faults.clear();
      }
    }
  }
  // Drain: the trigger eventually delivers everything.
  const rest = [0, 1, 2]
    .filter((p) => cursor[p]! < streams[p]!.length)
    .map((p): [number, number, number] => [p, cursor[p]!, streams[p]!.length]);
  if (rest.length > 0) await deliver(rest, false);

  for (let p = 0; p < PARTITIONS; p++) {
    const expected = fold(s.records, p);
    expect(await main.state(p), `state of partition ${p}`).toEqual(expected.state);
    const committed = main.committedOutboxes
      .filter((c) => c.task.partition === p)
      .flatMap((c) => c.outbox.messages.map((m) => JSON.parse(Buffer.from(m.value!, 'base64').toString())));
    expect(committed, `committed outputs of partition ${p}`).toEqual(expected.outputs);
    const published = main
      .published('out')
      .filter((m) => m.partition === p)
      .map((m) => m.value);
    expect(published, `published outputs of partition ${p}`).toEqual(expected.outputs);
    if (streams[p]!.length > 0) expect((await main.checkpoint(p))?.next).toBe(streams[p]!.length);
  }
  await main.close();
  stats.schedules++;
}

export interface Stats {
  schedules: number;
  faults: number;
  failures: number;
  crashes: number;
  redeliveries: number;
  zombies: number;
  fenced: number;
}

/** Asserts exactly-once state and outputs over `runs` random schedules; returns what ran. */
export async function checkExactlyOnce(
  createStore: () => Promise<Store> | Store,
  runs: number,
): Promise<Stats> {
  const stats: Stats = {
    schedules: 0,
    faults: 0,
    failures: 0,
    crashes: 0,
    redeliveries: 0,
    zombies: 0,
    fenced: 0,
  };
  await fc.assert(
    fc.asyncProperty(scenario, (s) => runScenario(createStore, s, stats)),
    {
      numRuns: runs,
      ...(process.env.SLUICE_PROPERTY_SEED ? { seed: Number(process.env.SLUICE_PROPERTY_SEED) } : {}),
    },
  );
  return stats;
}
