import fc from 'fast-check';
import { expect } from 'vitest';
import { defineFunction, kafkaSink, serde, state, window } from '../../lib';
import { FAULT_POINTS } from '../../lib/core/faults';
import type { Store } from '../../lib/store/store';
import { createHarness, type Harness } from '../../lib/testing/harness';

const T0 = 1_700_000_000_000;
const GRACE = 3;
const SIZE = 10;
const WINDOW_GRACE = 2;
const GAP = 5;
const TIMER_DELAY = 7;
/** The last record of every partition: far ahead, so every window and timer before it closes. */
const END_KEY = '~end';

interface Result {
  window: string;
  key: string;
  start: number;
  end: number;
  value: number;
}

/**
 * A windowed function: sums per key in tumbling windows, counts per key in sessions, and an
 * event-time timer per record (TIMER_DELAY after it) plus a processing-time timer per key and
 * minute, both emitting what fired.
 */
export const windowed = makeWindowed();

/** With `idleAdvanceMs`, ticks also move idle partitions' stream time (a synthetic watermark). */
export function makeWindowed(idleAdvanceMs?: number) {
  return defineFunction({
    name: 'windowed',
    source: { topic: 'events', key: serde.string(), value: serde.json<number>() },
    time: { graceMs: GRACE, ...(idleAdvanceMs !== undefined && { idleAdvanceMs }) },
    state: { seen: state.value(0) },
    windows: {
      sums: window
        .tumbling({ sizeMs: SIZE, graceMs: WINDOW_GRACE, sink: 'results', lateSink: 'late' })
        .reduce((a: number, b: number) => a + b),
      sessions: window.session({ gapMs: GAP, sink: 'results' }).count(),
    },
    sinks: {
      results: kafkaSink({ topic: 'results', value: serde.json<unknown>() }),
      late: kafkaSink({ topic: 'late', value: serde.json<unknown>() }),
      fired: kafkaSink({ topic: 'fired', value: serde.json<{ kind: string; key: string; time: number }>() }),
    },
    process(batch, { state, windows, timers, time }) {
      for (const record of batch.records) {
        state.seen.set(state.seen.get()! + 1);
        windows.sums.add(record);
        windows.sessions.add(record);
        const at = time.at(record);
        if (record.key !== END_KEY) {
          // Only timers still ahead of the watermark: one already passed would fire at the end of
          // whichever batch registered it, so how often depends on how batches were cut.
          if (at.eventTime + TIMER_DELAY > at.watermark)
            timers.registerEventTime(record.key, at.eventTime + TIMER_DELAY);
          timers.registerProcessingTime(record.key, Math.floor(time.now / 60_000) * 60_000 + 120_000);
        }
      }
    },
    onTimer(timer, { emit }) {
      emit.fired({ key: timer.key, value: { kind: timer.kind, key: timer.key, time: timer.time } });
    },
  });
}

/** A tick's advance of stream time, committed before the record at offset `at`. */
export interface Advance {
  at: number;
  stream: number;
}

/**
 * Records every committed tick that moved stream time (a commit at the same next offset whose
 * delta writes `$time`): the reference applies them at the same place, as Flink's watermarks.
 */
function recordAdvances(store: Store, advances: Map<number, Advance[]>): Store {
  const nextOf = new Map<number, number>();
  return {
    ...store,
    async commit(request) {
      const result = await store.commit(request);
      const p = request.task.partition;
      const time = request.delta.set.find(([key]) => key === '$time');
      if (time && nextOf.has(p) && request.next === nextOf.get(p)) {
        const list = advances.get(p) ?? [];
        list.push({ at: request.next, stream: (time[1] as { s: number }).s });
        advances.set(p, list);
      }
      nextOf.set(p, request.next);
      return result;
    },
  };
}

interface Rec {
  partition: number;
  key: string;
  value: number;
  /** ms after T0 */
  at: number;
}

/** The reference: windows and event timers computed offline from the records in partition order. */
export function reference(records: Rec[], advances: Advance[] = []) {
  const results: Result[] = [];
  const late: Array<{ key: string; time: number; value: number }> = [];
  const timers = new Set<string>();
  let stream = -1;
  const sums = new Map<string, number>();
  const sessions = new Map<string, Array<{ s: number; e: number; a: number }>>();
  const advanceTo = (offset: number) => {
    for (const a of advances) if (a.at === offset) stream = Math.max(stream, a.stream);
  };
  for (const [offset, r] of records.entries()) {
    advanceTo(offset);
    const t = T0 + r.at;
    stream = Math.max(stream, t);
    const w = stream - GRACE;
    const s = Math.floor(t / SIZE) * SIZE;
    if (s + SIZE + WINDOW_GRACE <= w) late.push({ key: r.key, time: t, value: r.value });
    else sums.set(`${s}/${r.key}`, (sums.get(`${s}/${r.key}`) ?? 0) + r.value);
    const list = sessions.get(r.key) ?? [];
    const joins = list.filter((x) => x.e > w && x.s <= t + GAP && x.e >= t);
    const start = Math.min(t, ...joins.map((x) => x.s));
    const end = Math.max(t + GAP, ...joins.map((x) => x.e));
    if (end > w) {
      const kept = list.filter((x) => !joins.includes(x));
      kept.push({ s: start, e: end, a: joins.reduce((n, x) => n + x.a, 0) + 1 });
      sessions.set(r.key, kept);
    }
    if (r.key !== END_KEY && t + TIMER_DELAY > w) timers.add(`${r.key}@${t + TIMER_DELAY}`);
  }
  for (const a of advances) if (a.at >= records.length) stream = Math.max(stream, a.stream);
  const watermark = stream - GRACE;
  for (const [id, value] of sums) {
    const [start, key] = [Number(id.slice(0, id.indexOf('/'))), id.slice(id.indexOf('/') + 1)];
    if (start + SIZE + WINDOW_GRACE <= watermark)
      results.push({ window: 'sums', key, start, end: start + SIZE, value });
  }
  for (const [key, list] of sessions) {
    for (const x of list)
      if (x.e <= watermark) results.push({ window: 'sessions', key, start: x.s, end: x.e, value: x.a });
  }
  const fired = [...timers].filter((id) => Number(id.slice(id.lastIndexOf('@') + 1)) <= watermark);
  return { results, late, fired };
}

const PARTITIONS = 2;
const INSTANCES = 2;
const step = fc.record({
  kind: fc.constantFrom('deliver', 'deliver', 'deliver', 'redeliver', 'crash', 'tick', 'race'),
  instance: fc.nat(INSTANCES - 1),
  partitions: fc.subarray([0, 1], { minLength: 1 }),
  size: fc.integer({ min: 1, max: 6 }),
  back: fc.integer({ min: 1, max: 4 }),
  fault: fc.option(fc.constantFrom(...FAULT_POINTS), { freq: 2 }),
  minutes: fc.integer({ min: 0, max: 5 }),
});
const scenario = fc.record({
  records: fc.array(
    fc.record({
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      key: fc.constantFrom('a', 'b', 'c/1'),
      value: fc.integer({ min: 1, max: 9 }),
      // out of order: times wander up with jitter back of up to ~20 ms
      at: fc.integer({ min: 0, max: 120 }),
    }),
    { maxLength: 40, size: 'max' },
  ),
  steps: fc.array(step, { maxLength: 20, size: 'max' }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
type Range = [partition: number, from: number, to: number];

export interface TimeStats {
  schedules: number;
  results: number;
  late: number;
  eventTimers: number;
  processingTimers: number;
  ticks: number;
  races: number;
  faults: number;
  /** ticks that moved an idle partition's stream time */
  advances: number;
}

async function runScenario(createStore: () => Store, s: Scenario, stats: TimeStats, idleAdvanceMs?: number) {
  let now = T0;
  const advances = new Map<number, Advance[]>();
  const store = idleAdvanceMs === undefined ? createStore() : recordAdvances(createStore(), advances);
  const main = createHarness(idleAdvanceMs === undefined ? windowed : makeWindowed(idleAdvanceMs), {
    store,
    now: () => now,
  });
  const instances = [main, main.fork()];
  // Times drift upwards through the partition, jittered: out of order, sometimes late.
  const streams = [0, 1].map((p) => {
    const mine = s.records.filter((r) => r.partition === p).map((r, i) => ({ ...r, at: r.at + i * 4 }));
    const last = Math.max(0, ...mine.map((r) => r.at));
    return [...mine, { partition: p, key: END_KEY, value: 0, at: last + 1_000 }];
  });
  const cursor = [0, 0];
  const eventFor = (ranges: Range[]) =>
    main.event(
      ranges.flatMap(([p, from, to]) =>
        streams[p]!.slice(from, to).map((r, i) => ({
          partition: p,
          offset: from + i,
          key: r.key,
          value: r.value,
          timestamp: T0 + r.at,
        })),
      ),
    );
  const untilDone = async (run: () => Promise<unknown>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt > 8) throw error;
      }
    }
  };
  const deliver = (h: Harness, ranges: Range[]) => {
    const event = eventFor(ranges);
    return untilDone(() => h.invokeEvent(event));
  };
  for (const st of s.steps) {
    const h = instances[st.instance]!;
    const other = instances[1 - st.instance]!;
    const open = st.partitions.filter((p) => cursor[p]! < streams[p]!.length);
    const ranges = open.map(
      (p): Range => [p, cursor[p]!, Math.min(streams[p]!.length, cursor[p]! + st.size)],
    );
    if (st.fault) {
      h.failAt(st.fault, { partition: st.partitions[0] });
      stats.faults++;
    }
    if (st.kind === 'crash') await h.crash();
    else if (st.kind === 'tick') {
      now += st.minutes * 60_000;
      await untilDone(() => h.flush());
      stats.ticks++;
    } else if (st.kind === 'race' && ranges.length > 0) {
      // The tick on one instance while a batch of the same tasks runs on another.
      now += st.minutes * 60_000;
      await Promise.allSettled([h.flush(), other.invokeEvent(eventFor(ranges))]);
      await deliver(other, ranges);
      for (const [p, , to] of ranges) cursor[p] = to;
      stats.races++;
    } else if (st.kind === 'redeliver') {
      const back = [0, 1]
        .filter((p) => cursor[p]! > 0)
        .map((p): Range => [p, Math.max(0, cursor[p]! - st.back), cursor[p]!]);
      if (back.length > 0) await deliver(h, back);
    } else if (ranges.length > 0) {
      await deliver(h, ranges);
      for (const [p, , to] of ranges) cursor[p] = to;
    }
    h.faults.clear();
    now += 1_000;
  }
  const rest = [0, 1]
    .filter((p) => cursor[p]! < streams[p]!.length)
    .map((p): Range => [p, cursor[p]!, streams[p]!.length]);
  if (rest.length > 0) await deliver(main, rest);
  // Hours later: every processing-time timer is due; the tick fires them and publishes.
  now += 3 * 3_600_000;
  await untilDone(() => main.flush());
  now += 120_000;
  await untilDone(() => main.flush());

  const sort = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  for (let p = 0; p < PARTITIONS; p++) {
    const expected = reference(streams[p]!, advances.get(p));
    stats.advances += advances.get(p)?.length ?? 0;
    const finals = main
      .published('results')
      .filter((m) => m.partition === p)
      .map((m) => m.value as Result & { final: boolean })
      .filter((v) => v.final)
      .map(({ key, start, end, value }) => ({ key, start, end, value }));
    const refResults = expected.results.map(({ key, start, end, value }) => ({ key, start, end, value }));
    expect(sort(finals), `window results of partition ${p}`).toEqual(sort(refResults));
    const late = main
      .published('late')
      .filter((m) => m.partition === p)
      .map((m) => m.value);
    expect(sort(late), `late records of partition ${p}`).toEqual(sort(expected.late));
    const fired = main
      .published('fired')
      .filter((m) => m.partition === p)
      .map((m) => m.value as { kind: string; key: string; time: number });
    const eventFired = fired.filter((f) => f.kind === 'event').map((f) => `${f.key}@${f.time}`);
    expect(sort(eventFired), `event timers fired on partition ${p}`).toEqual(sort(expected.fired));
    const processingFired = fired.filter((f) => f.kind === 'processing').map((f) => `${f.key}@${f.time}`);
    expect(new Set(processingFired).size, `processing timers fired once on partition ${p}`).toBe(
      processingFired.length,
    );
    // What was published is what was committed, each once (tick outboxes included: their
    // marker ends must never be taken for ones already published).
    const committed = main.committedOutboxes
      .filter((c) => c.task.partition === p)
      .flatMap((c) =>
        c.outbox.messages.map((m) => `${m.sink}:${Buffer.from(m.value!, 'base64').toString()}`),
      );
    const published = main.broker.published
      .filter((m) => m.task.partition === p && m.namespace === main.namespace)
      .map((m) => `${m.sink}:${Buffer.from(m.value!, 'base64').toString()}`);
    expect(sort(published), `published outputs of partition ${p}`).toEqual(sort(committed));
    const left = Object.keys(await main.state(p)).filter((k) => k.startsWith('$timer/p/'));
    expect(left, `processing timers left on partition ${p}`).toEqual([]);
    stats.results += finals.length;
    stats.late += late.length;
    stats.eventTimers += eventFired.length;
    stats.processingTimers += processingFired.length;
  }
  await Promise.all(instances.map((h) => h.close()));
  stats.schedules++;
}

export async function checkTimeExactlyOnce(
  createStore: () => Store,
  runs: number,
  options: { idleAdvanceMs?: number } = {},
): Promise<TimeStats> {
  const stats: TimeStats = {
    schedules: 0,
    results: 0,
    late: 0,
    eventTimers: 0,
    processingTimers: 0,
    ticks: 0,
    races: 0,
    faults: 0,
    advances: 0,
  };
  await fc.assert(
    fc.asyncProperty(scenario, (s) => runScenario(createStore, s, stats, options.idleAdvanceMs)),
    {
      numRuns: runs,
      ...(process.env.SLUICE_PROPERTY_SEED ? { seed: Number(process.env.SLUICE_PROPERTY_SEED) } : {}),
    },
  );
  return stats;
}
