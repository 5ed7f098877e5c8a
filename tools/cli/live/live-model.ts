/**
 * What `sluice dev`'s live page and `sluice status` show: per function and partition task,
 * records/s, lag in records and in time, state size, pending outboxes, failures, and a short
 * history for the charts. Three sources, each for what it knows best:
 * - the emulator (tools/trigger/stats.ts): throughput, log end offsets and lag in records,
 *   failed invocations, batches in flight;
 * - the functions' own metrics (the EMF lines of lib/lambda/emf-metrics.ts, read back as
 *   CloudWatch would): records applied, state keys and bytes, the newest record's timestamp;
 * - the checkpoints (tools/cli/inspect.ts, every few seconds): pending outboxes, checkpoint age.
 */
import type { BatchMetricName } from '../../../lib/lambda/batch-metrics';
import type { EmulatorStats } from '../../trigger/stats';
import { createRateMeter } from '../../trigger/stats';
import type { CheckpointRow } from '../inspect';

/** How much history the charts keep: one point per function per sample (about a second). */
export const HISTORY_MS = 5 * 60_000;

export interface LivePartition {
  partition: number;
  /** records behind the log end (the emulator's committed offset to the high watermark) */
  lag: number | null;
  /** how far behind in time: now - newest applied record's timestamp while records wait, else 0 */
  timeLagMs: number | null;
  recordsPerSecond: number;
  /** records applied since `sluice dev` started (the functions' RecordsApplied) */
  applied: number;
  batches: number;
  /** failed batches (the functions' BatchFailures) */
  failures: number;
  stateKeys: number | null;
  stateBytes: number | null;
  /** messages of the last committed outbox that Kafka does not confirm yet (null: unknown) */
  pendingOutbox: number | null;
  checkpointAgeMs: number | null;
  inFlight: boolean;
  lastBatchMs: number | null;
}

export interface LivePoint {
  t: number;
  recordsPerSecond: number;
  lag: number;
  timeLagMs: number;
}

export interface LiveFunction {
  name: string;
  topic: string;
  recordsPerSecond: number;
  /** records processed (delivered by the trigger) */
  done: number;
  lag: number;
  timeLagMs: number;
  invocations: number;
  /** failed invocations (the trigger's view: errors, timeouts, partial responses) */
  failures: number;
  stateKeys: number;
  stateBytes: number;
  pendingOutboxes: number;
  partitions: LivePartition[];
  history: LivePoint[];
}

export interface LiveSnapshot {
  time: number;
  uptimeMs: number;
  functions: LiveFunction[];
}

interface TaskFacts {
  applied: number;
  batches: number;
  failures: number;
  stateKeys: number | null;
  stateBytes: number | null;
  newestRecordTimestamp: number | null;
  lastBatchMs: number | null;
  rate: ReturnType<typeof createRateMeter>;
}

export interface LiveModel {
  /** One EMF document a function printed (its batch's metrics). */
  ingestMetrics(fn: string, document: Record<string, unknown>): void;
  /** The checkpoint rows of a function's source topic (store and Kafka). */
  ingestCheckpoints(fn: string, rows: CheckpointRow[]): void;
  /** Records a history point per function; call about once a second. */
  sample(stats: EmulatorStats): void;
  snapshot(stats: EmulatorStats): LiveSnapshot;
}

export function createLiveModel(now: () => number = Date.now): LiveModel {
  const tasks = new Map<string, TaskFacts>();
  const checkpoints = new Map<string, Map<number, CheckpointRow>>();
  const history = new Map<string, LivePoint[]>();
  /** When each task was last seen with no lag: records waiting now were written after it. */
  const caughtUpAt = new Map<string, number>();
  const key = (fn: string, partition: number) => `${fn}\u0000${partition}`;

  function facts(fn: string, partition: number): TaskFacts {
    let found = tasks.get(key(fn, partition));
    if (!found) {
      found = {
        applied: 0,
        batches: 0,
        failures: 0,
        stateKeys: null,
        stateBytes: null,
        newestRecordTimestamp: null,
        lastBatchMs: null,
        rate: createRateMeter(),
      };
      tasks.set(key(fn, partition), found);
    }
    return found;
  }

  function build(stats: EmulatorStats): LiveSnapshot {
    const at = now();
    const functions = stats.triggers.map((trigger): LiveFunction => {
      const rows = checkpoints.get(trigger.function) ?? new Map<number, CheckpointRow>();
      const partitions = trigger.partitions.map((p): LivePartition => {
        const f = tasks.get(key(trigger.function, p.partition));
        const row = rows.get(p.partition);
        const waiting = p.lag !== null && p.lag > 0;
        let timeLagMs: number | null = waiting ? null : p.lag === null ? null : 0;
        if (p.lag === 0) caughtUpAt.set(key(trigger.function, p.partition), at);
        if (waiting && f?.newestRecordTimestamp) {
          // now - newest applied is the metric's definition; after an idle spell it overstates
          // (the newest applied record is old, the waiting ones new): no record waits longer
          // than since the task was last caught up either, so take the smaller bound.
          const since = caughtUpAt.get(key(trigger.function, p.partition)) ?? 0;
          timeLagMs = Math.max(0, at - Math.max(f.newestRecordTimestamp, since));
        }
        return {
          partition: p.partition,
          lag: p.lag,
          timeLagMs,
          recordsPerSecond: f ? f.rate.rate(at) : 0,
          applied: f?.applied ?? 0,
          batches: f?.batches ?? 0,
          failures: f?.failures ?? 0,
          stateKeys: f?.stateKeys ?? row?.stateKeys ?? null,
          stateBytes: f?.stateBytes ?? null,
          pendingOutbox: row ? (row.outboxStatus === 'pending' ? row.outbox : 0) : null,
          checkpointAgeMs: row?.committedAt ? Math.max(0, at - Date.parse(row.committedAt)) : null,
          inFlight: p.inFlight,
          lastBatchMs: f?.lastBatchMs ?? null,
        };
      });
      const sum = (pick: (p: LivePartition) => number | null) =>
        partitions.reduce((n, p) => n + (pick(p) ?? 0), 0);
      return {
        name: trigger.function,
        topic: trigger.topic,
        recordsPerSecond: trigger.recordsPerSecond,
        done: trigger.delivered,
        lag: trigger.lag,
        timeLagMs: Math.max(0, ...partitions.map((p) => p.timeLagMs ?? 0)),
        invocations: trigger.invocations,
        failures: trigger.errors,
        stateKeys: sum((p) => p.stateKeys),
        stateBytes: sum((p) => p.stateBytes),
        pendingOutboxes: partitions.filter((p) => (p.pendingOutbox ?? 0) > 0).length,
        partitions,
        history: history.get(trigger.function) ?? [],
      };
    });
    return { time: at, uptimeMs: stats.uptimeMs, functions };
  }

  return {
    ingestMetrics(fn, document) {
      const partition = Number(document.partition);
      if (!Number.isInteger(partition)) return;
      // By the emulated function's name (serverless.yml's key), which its definition may not share.
      const f = facts(fn, partition);
      const value = (name: BatchMetricName) =>
        typeof document[name] === 'number' ? (document[name] as number) : undefined;
      const applied = value('RecordsApplied') ?? 0;
      f.applied += applied;
      f.batches += 1;
      f.failures += value('BatchFailures') ?? 0;
      f.rate.add(applied, now());
      f.stateKeys = value('StateKeys') ?? f.stateKeys;
      f.stateBytes = value('StateBytes') ?? f.stateBytes;
      f.lastBatchMs = value('BatchDuration') ?? f.lastBatchMs;
      const newest = document.newestRecordTimestamp;
      if (typeof newest === 'number' && newest > (f.newestRecordTimestamp ?? 0) && !value('BatchFailures')) {
        f.newestRecordTimestamp = newest;
      }
    },
    ingestCheckpoints(fn, rows) {
      checkpoints.set(fn, new Map(rows.map((row) => [row.partition, row])));
    },
    sample(stats) {
      const snapshot = build(stats);
      for (const fn of snapshot.functions) {
        const points = history.get(fn.name) ?? [];
        points.push({
          t: snapshot.time,
          recordsPerSecond: fn.recordsPerSecond,
          lag: fn.lag,
          timeLagMs: fn.timeLagMs,
        });
        while (points.length > 0 && points[0]!.t < snapshot.time - HISTORY_MS) points.shift();
        history.set(fn.name, points);
      }
    },
    snapshot: build,
  };
}
