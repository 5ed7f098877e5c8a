import fc from 'fast-check';
import { expect } from 'vitest';
import { defineFunction, kafkaSink, SluiceError, serde, state, TerminalError } from '../../lib';
import { QUARANTINE_SINK } from '../../lib/checkpoint/quarantine-policy';
import { FAULT_POINTS } from '../../lib/core/faults';
import type { Store } from '../../lib/store/store';
import { createHarness, type Harness } from '../../lib/testing/harness';

/** The sink's topic has this many partitions: a record of value -1 emits to one it lacks. */
const SINK_PARTITIONS = 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The broker's offsets.retention.minutes default: markers older than this are gone. */
const MARKER_RETENTION_MS = 7 * DAY;

/**
 * The function under test: a keyed running sum where 0 resets a key (a delete), plus a
 * per-partition record count. Every record emits one output, so outputs can be counted. A
 * value of -1 is a bug in the function: its output names a partition the sink topic does not
 * have, so it can never be published and must fail its batch before the commit.
 */
export const runningSum = defineFunction({
  name: 'running-sum',
  source: { topic: 'numbers.v1-x', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>(), seen: state.value(0) },
  sinks: { out: kafkaSink({ topic: 'sums', value: serde.json<{ key: string; sum: number }>() }) },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      if (record.value === -1) {
        emit.out({ key: record.key, value: { key: record.key, sum: -1 }, partition: SINK_PARTITIONS + 4 });
        continue;
      }
      const sum = record.value === 0 ? 0 : (state.sums.get(record.key) ?? 0) + record.value;
      if (sum === 0) state.sums.delete(record.key);
      else state.sums.set(record.key, sum);
      state.seen.set((state.seen.get() ?? 0) + 1);
      emit.out({ key: record.key, value: { key: record.key, sum } });
    }
  },
});

/**
 * The same running sum under `onError: 'quarantine-key'`, with a bug to fix: until `poison.fixed`,
 * a value of -2 throws a TerminalError and -1 emits to a partition the sink lacks (terminal too),
 * so both park their key. The fix reads a negative value as its absolute value.
 */
export const poison = { fixed: false };
export const runningSumQuarantined = defineFunction({
  name: 'running-sum-q',
  source: { topic: 'numbers.v1-x', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>(), seen: state.value(0) },
  sinks: { out: kafkaSink({ topic: 'sums', value: serde.json<{ key: string; sum: number }>() }) },
  onError: 'quarantine-key',
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      if (record.value === -2 && !poison.fixed) throw new TerminalError(`poison record ${record.offset}`);
      if (record.value === -1 && !poison.fixed) {
        emit.out({ key: record.key, value: { key: record.key, sum: -1 }, partition: SINK_PARTITIONS + 4 });
        continue;
      }
      const value = Math.abs(record.value);
      const sum = value === 0 ? 0 : (state.sums.get(record.key) ?? 0) + value;
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

/** Per key, the records from its first poison (negative) record on: what the quarantine holds. */
function quarantinedOf(records: Rec[], partition: number): Array<Rec & { offset: number }> {
  const poisoned = new Set<string>();
  const parked: Array<Rec & { offset: number }> = [];
  records
    .filter((r) => r.partition === partition)
    .forEach((r, offset) => {
      if (r.value < 0) poisoned.add(r.key);
      if (poisoned.has(r.key)) parked.push({ ...r, offset });
    });
  return parked;
}

/**
 * The reference under the quarantine: the fold of the records not quarantined (fixed: false),
 * or, after the fix and a replay, of every record with the fixed reading (|value|).
 */
function foldQuarantined(records: Rec[], partition: number, fixed: boolean) {
  const parked = new Set(quarantinedOf(records, partition).map((r) => r.offset));
  const state: Record<string, number> = {};
  const outputs: Array<{ key: string; sum: number }> = [];
  let seen = 0;
  records
    .filter((r) => r.partition === partition)
    .forEach((r, offset) => {
      if (!fixed && parked.has(offset)) return;
      const value = Math.abs(r.value);
      const sum = value === 0 ? 0 : (state[`sums/${r.key}`] ?? 0) + value;
      if (sum === 0) delete state[`sums/${r.key}`];
      else state[`sums/${r.key}`] = sum;
      seen++;
      outputs.push({ key: r.key, sum });
    });
  if (seen > 0) state.seen = seen;
  return { state, outputs };
}

/**
 * The reference of one partition: records applied once each, in order, unpublishable ones
 * skipped, folded into state, each yielding its output. A rewind replaces the fold's state (a
 * savepoint's copy, or empty) and the records from the rewind point are applied again; outputs
 * only ever accumulate (each history's are published once).
 */
class Fold {
  state: Record<string, number> = {};
  outputs: Array<{ key: string; sum: number }> = [];
  apply(records: Rec[]): void {
    for (const r of records.filter((r) => r.value !== -1)) {
      const sum = r.value === 0 ? 0 : (this.state[`sums/${r.key}`] ?? 0) + r.value;
      if (sum === 0) delete this.state[`sums/${r.key}`];
      else this.state[`sums/${r.key}`] = sum;
      this.state.seen = (this.state.seen ?? 0) + 1;
      this.outputs.push({ key: r.key, sum });
    }
  }
}

const PARTITIONS = 3;
const INSTANCES = 3;
const step = fc.record({
  kind: fc.constantFrom(
    'deliver',
    'deliver',
    'deliver',
    'redeliver',
    'zombie',
    'crash',
    'time',
    'time',
    'savepoint',
    'rewind',
  ),
  /** which warm instance Lambda hands the invocation to: no partition affinity */
  instance: fc.nat(INSTANCES - 1),
  other: fc.nat(INSTANCES - 1),
  partitions: fc.subarray([0, 1, 2], { minLength: 1 }),
  size: fc.integer({ min: 1, max: 6 }),
  back: fc.integer({ min: 1, max: 6 }),
  fault: fc.option(fc.constantFrom(...FAULT_POINTS), { freq: 2 }),
  faultTimes: fc.integer({ min: 1, max: 2 }),
  crashOnFailure: fc.boolean(),
  /** a quiet period: minutes to weeks pass before the next delivery */
  hours: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 24, max: 400 })),
  /** the scheduled flush does not run (or fails) during this quiet period */
  flushDown: fc.boolean(),
  /** an operator deletes the outbox marker group after the flush confirmed everything */
  deleteMarkers: fc.boolean(),
  /** what a rewind goes back to: a reset to the earliest offset, `back` records back, or a savepoint */
  rewindTo: fc.constantFrom('earliest', 'offsets', 'savepoint', 'savepoint'),
  /** which savepoint (modulo those taken) */
  savepoint: fc.nat(5),
});
const scenario = fc.record({
  records: fc.array(
    fc.record({
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      key: fc.constantFrom('a', 'b', 'c', 'k.1-x'),
      value: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 9 }) },
        fc.constant(-1),
        // poison (quarantine mode only): the bisect mode has no terminal errors of its own
        fc.constant(-2),
      ),
    }),
    // fast-check's default size ("small") would keep arrays near 10 long whatever maxLength
    // says: schedules of a couple of batches per partition. "max" spreads them up to the bound.
    { maxLength: 50, size: 'max' },
  ),
  steps: fc.array(step, { maxLength: 25, size: 'max' }),
  /** a second deployment (another stage) of the function reads the same topic on the same cluster */
  secondDeployment: fc.boolean(),
  /** quarantine mode: a crash while the replayed records run */
  replayFault: fc.option(fc.constantFrom(...FAULT_POINTS), { freq: 2 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
type Range = [partition: number, from: number, to: number];

/**
 * Runs one random schedule the way Lambda and Kafka behave: several warm instances with no
 * partition affinity, retries, zombies, crashes, quiet periods of up to weeks with the scheduled
 * flush and the broker expiring outbox markers, a second deployment on the same cluster, and
 * unpublishable outputs that Lambda bisects down to the record and skips to the on-failure
 * destination.
 */
async function runScenario(
  createStore: () => Promise<Store> | Store,
  input: Scenario,
  stats: Stats,
  mode: Mode,
): Promise<void> {
  const quarantine = mode === 'quarantine';
  // The bisect mode's function has no poison of its own: -2 is an ordinary value there.
  const s = quarantine
    ? input
    : { ...input, records: input.records.map((r) => (r.value === -2 ? { ...r, value: 2 } : r)) };
  poison.fixed = false;
  let now = 1_700_000_000_000;
  let lastFlushAt = now;
  const clock = () => now;
  const main = createHarness(quarantine ? runningSumQuarantined : runningSum, {
    store: await createStore(),
    now: clock,
    sourcePartitions: PARTITIONS,
  });
  main.broker.limits.set('sums', { partitions: SINK_PARTITIONS });
  const instances = [main, ...Array.from({ length: INSTANCES - 1 }, () => main.fork())];
  const second = s.secondDeployment ? main.deployment('prod', await createStore()) : null;
  const streams: Rec[][] = [0, 1, 2].map((p) => s.records.filter((r) => r.partition === p));
  const cursor = [0, 0, 0];
  /** where the last rewind put each partition (records before it are not in the final history) */
  const rewoundTo = [0, 0, 0];
  /** the reference per deployment and partition, and the savepoints taken (their copies of it) */
  const reference = new Map(
    (second ? [main, second] : [main]).map((h) => [h, [0, 1, 2].map(() => new Fold())]),
  );
  const savepoints: Array<{ name: string; next: number[]; folds: Map<Harness, Fold[]> }> = [];
  const eventFor = (h: Harness, ranges: Range[]) =>
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
  const retryUntilDone = async (h: Harness, ranges: Range[], crashOnFailure: boolean): Promise<void> => {
    const event = eventFor(h, ranges);
    for (let attempt = 0; ; attempt++) {
      try {
        await h.invokeEvent(event);
        return;
      } catch (error) {
        if (error instanceof SluiceError && error.code === 'UNPUBLISHABLE_OUTPUT') {
          stats.unpublishable++;
          return bisect(h, ranges, crashOnFailure);
        }
        stats.failures++;
        if (attempt > 10) throw error;
        if (crashOnFailure) await h.crash();
      }
    }
  };
  /**
   * BisectBatchOnFunctionError down to the bad record, which goes to the on-failure destination:
   * every other record of the batch is applied.
   */
  const bisect = async (h: Harness, ranges: Range[], crashOnFailure: boolean) => {
    for (const [p, from, to] of ranges) {
      let start = from;
      for (let i = from; i <= to; i++) {
        if (i === to || streams[p]![i]!.value === -1) {
          if (i > start) await retryUntilDone(h, [[p, start, i]], crashOnFailure);
          start = i + 1;
        }
      }
    }
  };
  const deliver = async (h: Harness, ranges: Range[], crashOnFailure: boolean) => {
    await retryUntilDone(h, ranges, crashOnFailure);
    if (second) await retryUntilDone(second, ranges, false);
    for (const [p, , to] of ranges) {
      // What the trigger had not delivered before is applied now, in every deployment.
      if (to > cursor[p]!)
        for (const folds of reference.values()) folds[p]!.apply(streams[p]!.slice(cursor[p], to));
      cursor[p] = Math.max(cursor[p]!, to);
    }
  };
  const copyFold = (fold: Fold) => Object.assign(new Fold(), { state: { ...fold.state }, outputs: [] });
  /**
   * `sluice rewind` with the trigger stopped (between steps), on every deployment, then the
   * trigger's offsets moved to the rewind point: a savepoint's copy, a reset to the earliest
   * offset, or empty state from `back` records before the trigger's position.
   */
  const rewind = async (st: (typeof s.steps)[number]) => {
    const chosen = savepoints[st.savepoint % Math.max(1, savepoints.length)];
    const to =
      st.rewindTo === 'savepoint' && chosen
        ? chosen.next
        : cursor.map((c) => (st.rewindTo === 'earliest' ? 0 : Math.max(0, c - st.back)));
    for (const [h, folds] of reference) {
      const target =
        st.rewindTo === 'savepoint' && chosen
          ? chosen.name
          : { kind: 'offsets' as const, offsets: new Map(to.map((n, p) => [p, n])), label: st.rewindTo };
      await h.rewind(target);
      folds.forEach((fold, p) => {
        fold.state = st.rewindTo === 'savepoint' && chosen ? { ...chosen.folds.get(h)![p]!.state } : {};
      });
    }
    to.forEach((n, p) => {
      cursor[p] = n;
      rewoundTo[p] = n;
    });
    stats.rewinds++;
  };
  /** The scheduled flush, every few minutes while no record comes: retried until it succeeds. */
  const scheduledFlush = async (h: Harness) => {
    for (const deployment of second ? [h, second] : [h]) {
      for (let attempt = 0; ; attempt++) {
        try {
          stats.confirmed += (await deployment.flush()).confirmed;
          break;
        } catch (error) {
          if (attempt > 5) throw error;
        }
      }
    }
  };

  for (const st of s.steps) {
    const open = st.partitions.filter((p) => cursor[p]! < streams[p]!.length);
    const instance = instances[st.instance]!;
    // The quarantine's reference is the whole stream's: no rewinds there (they have their own mode).
    if (quarantine && (st.kind === 'savepoint' || st.kind === 'rewind')) continue;
    if (st.kind === 'savepoint') {
      const name = `sp-${savepoints.length}`;
      const taken = await Promise.all([...reference.keys()].map((h) => h.savepoint(name)));
      const next = [0, 1, 2].map((p) => taken[0]!.partitions.find((x) => x.partition === p)!.next);
      // Every deployment got the same records: their savepoints stand at the same offsets.
      for (const sp of taken.slice(1)) expect(sp.partitions.map((x) => x.next)).toEqual(next);
      // A task's position is its checkpoint's, which may stop short of the trigger's after
      // trailing unpublishable records (they were skipped, not applied: no state, no output).
      for (const [p, n] of next.entries()) {
        expect(streams[p]!.slice(n, cursor[p]).every((r) => r.value === -1)).toBe(true);
      }
      savepoints.push({
        name,
        next,
        folds: new Map([...reference].map(([h, folds]) => [h, folds.map(copyFold)])),
      });
      stats.savepoints++;
    } else if (st.kind === 'rewind') {
      await rewind(st);
    } else if (st.kind === 'crash') {
      await instance.crash();
      stats.crashes++;
    } else if (st.kind === 'time') {
      // Records stop for a while. The flush runs once the tasks are idle, then the broker expires
      // markers older than the retention. The flush may be down, but (the protocol's one
      // assumption, DESIGN section 5) never for a whole retention period in a row.
      const quiet = st.hours * HOUR + 61_000;
      if (st.flushDown) {
        now += Math.max(0, Math.min(quiet, lastFlushAt + MARKER_RETENTION_MS - HOUR - now));
      } else {
        now += 61_000;
        await scheduledFlush(instance);
        lastFlushAt = now;
        now += quiet - 61_000;
        if (st.deleteMarkers) main.broker.markers.clear();
      }
      for (const [id, marker] of main.broker.markers) {
        if (now - marker.committedAt > MARKER_RETENTION_MS) {
          main.broker.markers.delete(id);
          stats.expiredMarkers++;
        }
      }
      stats.quietHours += st.hours;
    } else if (st.kind === 'redeliver') {
      // An old batch again, overlapping new records: the consumer offset commit was lost.
      const ranges = st.partitions
        .filter((p) => cursor[p]! > 0)
        .map(
          (p): Range => [
            p,
            Math.max(0, cursor[p]! - st.back),
            Math.min(streams[p]!.length, cursor[p]! + st.size),
          ],
        );
      if (ranges.length > 0) await deliver(instance, ranges, st.crashOnFailure);
      stats.redeliveries++;
    } else if (open.length > 0) {
      const ranges = open.map(
        (p): Range => [p, cursor[p]!, Math.min(streams[p]!.length, cursor[p]! + st.size)],
      );
      if (st.kind === 'zombie' && st.other !== st.instance) {
        // Two instances get the same batch at once: exactly one commit may win; the other re-runs.
        const event = eventFor(main, ranges);
        const results = await Promise.allSettled([
          instance.invokeEvent(event),
          instances[st.other]!.invokeEvent(event),
        ]);
        stats.zombies++;
        if (results.some((r) => r.status === 'rejected')) stats.fenced++;
        await deliver(instance, ranges, false);
      } else {
        if (st.fault) {
          instance.failAt(st.fault, { partition: open[0], times: st.faultTimes });
          stats.faults++;
        }
        await deliver(instance, ranges, st.crashOnFailure);
        instance.faults.clear();
      }
    }
    now += 1_000;
  }
  // Drain: the trigger eventually delivers everything.
  const rest = [0, 1, 2]
    .filter((p) => cursor[p]! < streams[p]!.length)
    .map((p): Range => [p, cursor[p]!, streams[p]!.length]);
  if (rest.length > 0) await deliver(main, rest, false);
  // Outputs of the last batches go out through the scheduled flush if nothing else came.
  now += 61_000;
  await scheduledFlush(main);

  const deployments = second ? [main, second] : [main];
  if (quarantine) {
    await checkQuarantine(deployments, s.records, false);
    // A fix is deployed; every key is replayed; the next batch of each partition runs the parked
    // records before its own (a record of a key never seen), under a crash maybe.
    poison.fixed = true;
    for (const deployment of deployments) {
      for (let p = 0; p < PARTITIONS; p++)
        stats.replayed += (await deployment.replayQuarantine(p)).offsets.length;
    }
    const sentinels = [0, 1, 2].map((partition) => ({ partition, key: 'z', value: 1 }));
    for (const r of sentinels) streams[r.partition]!.push(r);
    if (s.replayFault) main.failAt(s.replayFault, { times: 1 });
    await deliver(
      main,
      [0, 1, 2].map((p): Range => [p, streams[p]!.length - 1, streams[p]!.length]),
      true,
    );
    main.faults.clear();
    now += 61_000;
    await scheduledFlush(main);
    await checkQuarantine(deployments, [...s.records, ...sentinels], true);
  }
  for (const deployment of quarantine ? [] : deployments) {
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = reference.get(deployment)![p]!;
      expect(await deployment.state(p), `state of partition ${p}`).toEqual(expected.state);
      const committed = deployment.committedOutboxes
        .filter((c) => c.task.partition === p)
        .flatMap((c) => c.outbox.messages.map((m) => JSON.parse(Buffer.from(m.value!, 'base64').toString())));
      expect(committed, `committed outputs of partition ${p}`).toEqual(expected.outputs);
      const published = deployment
        .published('out')
        .filter((m) => m.partition === p)
        .map((m) => m.value);
      expect(published, `published outputs of ${deployment.namespace} partition ${p}`).toEqual(
        expected.outputs,
      );
      const last = streams[p]!.findLastIndex((r) => r.value !== -1);
      if (last >= rewoundTo[p]!) expect((await deployment.checkpoint(p))?.next).toBeGreaterThan(last);
    }
  }
  stats.reruns += instances.reduce((n, h) => n + h.reruns, 0);
  await Promise.all([...instances, ...(second ? [second] : [])].map((h) => h.close()));
  stats.schedules++;
}

/**
 * The quarantine's promise, per deployment and partition: before the fix, the state and outputs
 * are the fold of the records not quarantined, the quarantine holds exactly the poisoned keys'
 * records from their first poison on, in order, and each was published once to the quarantine
 * topic. After the fix and a replay: the state is the fold of every record as if nothing had
 * failed, each key's outputs are its fold's, and the quarantine is empty.
 */
async function checkQuarantine(deployments: Harness[], records: Rec[], fixed: boolean): Promise<void> {
  for (const deployment of deployments) {
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = foldQuarantined(records, p, fixed);
      const where = `${deployment.namespace} partition ${p}${fixed ? ' after the replay' : ''}`;
      const stateOf = Object.fromEntries(
        Object.entries(await deployment.state(p)).filter(([k]) => !k.startsWith('~quarantine')),
      );
      expect(stateOf, `state of ${where}`).toEqual(expected.state);
      const parked = (await deployment.quarantine(p)).map((r) => ({
        offset: r.offset,
        key: Buffer.from(r.key!, 'base64').toString(),
        value: Number(Buffer.from(r.value!, 'base64').toString()),
      }));
      const expectedParked = fixed
        ? []
        : quarantinedOf(records, p).map((r) => ({ offset: r.offset, key: r.key, value: r.value }));
      expect(parked, `quarantine of ${where}`).toEqual(expectedParked);
      const published = deployment.published('out').filter((m) => m.partition === p);
      const byKey = (outputs: Array<{ key: string; sum: number }>) => {
        const keys: Record<string, number[]> = {};
        for (const o of outputs) keys[o.key] = [...(keys[o.key] ?? []), o.sum];
        return keys;
      };
      const values = published.map((m) => m.value as { key: string; sum: number });
      if (fixed)
        expect(byKey(values), `published outputs per key of ${where}`).toEqual(byKey(expected.outputs));
      else expect(values, `published outputs of ${where}`).toEqual(expected.outputs);
      const toQuarantine = deployment.broker.published
        .filter(
          (m) => m.namespace === deployment.namespace && m.task.partition === p && m.sink === QUARANTINE_SINK,
        )
        .map((m) => Number(Buffer.from(m.value!, 'base64').toString()));
      expect(toQuarantine, `quarantine topic of ${where}: each parked record once`).toEqual(
        quarantinedOf(records.slice(0, fixed ? -PARTITIONS : undefined), p).map((r) => r.value),
      );
    }
  }
}

export type Mode = 'bisect' | 'quarantine';

export interface Stats {
  schedules: number;
  faults: number;
  failures: number;
  crashes: number;
  redeliveries: number;
  zombies: number;
  fenced: number;
  /** batches re-run after a conflict (stale instance or zombie) instead of failing */
  reruns: number;
  /** outboxes the scheduled flush confirmed */
  confirmed: number;
  expiredMarkers: number;
  quietHours: number;
  /** batches failed before the commit by an output that could never be published */
  unpublishable: number;
  savepoints: number;
  /** rewinds and resets, to savepoints or offsets */
  rewinds: number;
  /** quarantine mode: records released by a replay */
  replayed: number;
}

/** Asserts exactly-once state and outputs over `runs` random schedules; returns what ran. */
export async function checkExactlyOnce(
  createStore: () => Promise<Store> | Store,
  runs: number,
  mode: Mode = 'bisect',
): Promise<Stats> {
  const stats: Stats = {
    schedules: 0,
    faults: 0,
    failures: 0,
    crashes: 0,
    redeliveries: 0,
    zombies: 0,
    fenced: 0,
    reruns: 0,
    confirmed: 0,
    expiredMarkers: 0,
    quietHours: 0,
    unpublishable: 0,
    savepoints: 0,
    rewinds: 0,
    replayed: 0,
  };
  await fc.assert(
    fc.asyncProperty(scenario, (s) => runScenario(createStore, s, stats, mode)),
    {
      numRuns: runs,
      ...(process.env.SLUICE_PROPERTY_SEED ? { seed: Number(process.env.SLUICE_PROPERTY_SEED) } : {}),
    },
  );
  return stats;
}
