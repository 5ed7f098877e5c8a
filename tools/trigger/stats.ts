/**
 * Live numbers of the emulator, for the CLI's progress line and for tests: throughput, errors,
 * and per partition the committed offset, the log end and the lag between them.
 */

import type { InstanceStats } from './instance-pool';
import type { ScheduledFlushStats } from './scheduled-flush';

/** Counters of one trigger (function × topic); mutated by its partition workers. */
export interface TriggerCounters {
  /** Records the function processed successfully. */
  delivered: number;
  invocations: number;
  /** Invocations that failed (error, timeout, or a partial batch response). */
  errors: number;
  retries: number;
  /** Failed batches split in two (bisectBatchOnFunctionError). */
  bisects: number;
  /** Records dropped by filterPatterns (never delivered; committed). */
  filtered: number;
  /** Records given up on (retries exhausted, too old, too large). */
  discarded: number;
  /** Of those, the ones written to the on-failure topic. */
  sentToOnFailure: number;
}

export function createCounters(): TriggerCounters {
  return {
    delivered: 0,
    invocations: 0,
    errors: 0,
    retries: 0,
    bisects: 0,
    filtered: 0,
    discarded: 0,
    sentToOnFailure: 0,
  };
}

export interface PartitionStats {
  partition: number;
  /** Next offset to process, as committed to the consumer group; null before the first commit. */
  committed: number | null;
  /** Log end offset when last seen; null before the first fetch. */
  highWatermark: number | null;
  /** highWatermark - committed. */
  lag: number | null;
  /** Records fetched and waiting (not in flight). */
  buffered: number;
  bufferedBytes: number;
  inFlight: boolean;
  /** Fetching paused because the buffer is full (backpressure). */
  paused: boolean;
}

export interface TriggerStats extends TriggerCounters {
  function: string;
  topic: string;
  groupId: string;
  /** Delivered records per second over the last few seconds. */
  recordsPerSecond: number;
  /** Sum of the partitions' lag (null ones count 0). */
  lag: number;
  partitions: PartitionStats[];
}

export interface EmulatorStats {
  uptimeMs: number;
  /** This process. */
  memory: { rss: number; heapUsed: number };
  triggers: TriggerStats[];
  /** Per function: memory of the process running it (the child's in bundle mode). */
  functionMemory: Record<string, { rss: number; heapUsed: number } | null>;
  /** Per function, per warm instance: invocations started, failed, in flight (instance-pool.ts). */
  instances: Record<string, InstanceStats[]>;
  /** Scheduled flush invocations (scheduled-flush.ts), all functions together. */
  flush: ScheduledFlushStats;
}

/** Events per second over a sliding window of one-second buckets. */
export function createRateMeter(windowMs = 5_000) {
  const buckets = new Map<number, number>();
  const prune = (now: number) => {
    const oldest = Math.floor((now - windowMs) / 1000);
    for (const second of buckets.keys()) if (second <= oldest) buckets.delete(second);
  };
  return {
    add(count: number, now: number) {
      const second = Math.floor(now / 1000);
      buckets.set(second, (buckets.get(second) ?? 0) + count);
      prune(now);
    },
    rate(now: number): number {
      prune(now);
      let total = 0;
      for (const count of buckets.values()) total += count;
      return total / (windowMs / 1000);
    },
  };
}
