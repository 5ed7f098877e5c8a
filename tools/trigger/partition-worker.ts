/**
 * One partition of one emulated trigger: Lambda's per-partition poller. Records arrive in offset
 * order from the consumer; the worker batches them (batcher.ts) and keeps exactly one batch in
 * flight, delivered with Lambda's error controls (delivery.ts), before taking the next.
 *
 * The consumer-group offset is committed only up to the first record not yet done (delivered,
 * discarded or filtered out), after each success: a crash redelivers from there. Commits are
 * serialised and only move forward.
 *
 * Backpressure: the buffer is bounded (`full()` pauses fetching this partition; it resumes when a
 * batch is taken), so a slow function slows consumption instead of growing memory. At most
 * one batch in flight + the buffer bound + one fetch (maxBytesPerPartition) per partition.
 */
import type { RawRecord } from '../../lib/event/types';
import { createBatcher } from './batcher';
import { createDelivery, type DeliveryDeps } from './delivery';
import type { RecordFilter } from './filter';
import { type EventRecord, envelopeBytes, MAX_PAYLOAD_BYTES, toEventRecord } from './payload-size';
import type { TriggerSettings } from './settings';
import type { PartitionStats } from './stats';

export interface PartitionWorkerDeps extends Omit<DeliveryDeps, 'settings' | 'maxPayloadBytes'> {
  settings: Pick<
    TriggerSettings,
    'batchSize' | 'maximumBatchingWindowMs' | 'bisectBatchOnFunctionError' | 'reportBatchItemFailures'
  >;
  filter: RecordFilter;
  /** Commits `offset` (the next to read) to the consumer group. */
  commit(offset: number): Promise<void>;
  /** Stop fetching this partition / fetch it again. */
  pause(): void;
  resume(): void;
  /** Buffer bounds (default: one more batch — batchSize records, 6 MB). */
  maxBufferedRecords?: number;
  maxBufferedBytes?: number;
  /** Default 6 MB (MAX_PAYLOAD_BYTES); smaller in tests. */
  maxPayloadBytes?: number;
}

export interface PartitionWorker {
  /**
   * Hands over fetched records (in offset order). `fetchedUpTo` is the offset after the fetched
   * range (past control records and gaps); records below what was handed over before are
   * duplicates of a re-fetch and ignored.
   */
  push(records: RawRecord[], fetchedUpTo: number, highWatermark?: number): void;
  /** Latest known log end offset (for the lag). */
  observeHighWatermark(offset: number): void;
  /** The group's committed offset as read at assignment (for stats). */
  observeCommitted(offset: number | null): void;
  /**
   * Commits the starting position of a partition the group had no offset for, so a restart
   * before the first record keeps it (ignored once the worker has committed further).
   */
  commitStart(offset: number): void;
  /** Stops taking batches, waits for the one in flight, commits what is done. */
  stop(): Promise<void>;
  snapshot(): PartitionStats;
}

export function createPartitionWorker(deps: PartitionWorkerDeps): PartitionWorker {
  const { topic, partition, settings, clock, log, counters } = deps;
  const maxPayloadBytes = deps.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  const envelope = envelopeBytes(deps.envelope, topic, partition);
  const batcher = createBatcher<EventRecord>({
    batchSize: settings.batchSize,
    windowMs: settings.maximumBatchingWindowMs,
    maxPayloadBytes,
    envelopeBytes: envelope,
    maxBufferedRecords: deps.maxBufferedRecords ?? settings.batchSize,
    maxBufferedBytes: deps.maxBufferedBytes ?? maxPayloadBytes,
  });
  const task = `${topic}-${partition}`;
  const abort = new AbortController();

  let fetchedUpTo: number | null = null;
  let highWatermark: number | null = null;
  let committed: number | null = null;
  let pendingCommit: number | null = null;
  let committing: Promise<void> | null = null;
  /** First offset of the batch in flight (not done), or null. */
  let inFlightFrom: number | null = null;
  let invoking = false;
  let paused = false;
  let stopped = false;
  let wake: (() => void) | null = null;

  function commitPoint(): number | null {
    return inFlightFrom ?? batcher.first()?.record.offset ?? fetchedUpTo;
  }

  function maybeCommit(): void {
    const target = commitPoint();
    if (target !== null) requestCommit(target);
  }

  /** Commits are serialised and only move forward, whoever asks. */
  function requestCommit(target: number): void {
    if (committed !== null && target <= committed) return;
    if (pendingCommit !== null && target <= pendingCommit) return;
    pendingCommit = target;
    committing ??= drainCommits().finally(() => {
      committing = null;
    });
  }

  async function drainCommits(): Promise<void> {
    while (pendingCommit !== null && (committed === null || pendingCommit > committed)) {
      const target = pendingCommit;
      try {
        await deps.commit(target);
        committed = target;
      } catch (error) {
        // The next success commits a later offset; until then a restart redelivers (at least once).
        log.warn('offset commit failed', { task, offset: target, error: String(error) });
        return;
      }
    }
  }

  function updatePause(): void {
    const full = batcher.full();
    if (full && !paused) {
      paused = true;
      deps.pause();
    } else if (!full && paused) {
      paused = false;
      deps.resume();
    }
  }

  /** Waits for a push, `ms` (if given) or stop, whichever is first. */
  async function waitForPush(ms: number | null): Promise<void> {
    const timer = new AbortController();
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (ms !== null)
        void clock.sleep(ms, AbortSignal.any([abort.signal, timer.signal])).then(() => resolve());
      if (stopped) resolve();
    });
    wake = null;
    timer.abort();
  }

  const deliver = createDelivery({ ...deps, maxPayloadBytes });
  const hooks = {
    signal: abort.signal,
    progress(firstNotDone: number | null) {
      inFlightFrom = firstNotDone;
      maybeCommit();
    },
    invoking(active: boolean) {
      invoking = active;
    },
  };

  const loop = (async () => {
    while (!stopped) {
      const readyAt = batcher.readyAt();
      if (readyAt === null) {
        await waitForPush(null);
        continue;
      }
      const wait = readyAt - clock.now();
      if (wait > 0) {
        await waitForPush(wait);
        continue;
      }
      const taken = batcher.take().map((entry) => entry.record);
      updatePause();
      await deliver(taken, hooks);
      maybeCommit();
    }
  })().catch((error: unknown) => {
    log.error('partition worker crashed', { task, error: String(error) });
  });

  return {
    push(records, upTo, hw) {
      if (stopped) return;
      if (hw !== undefined) highWatermark = hw;
      const now = clock.now();
      for (const record of records) {
        if (fetchedUpTo !== null && record.offset < fetchedUpTo) continue;
        if (!deps.filter(record.value)) {
          counters.filtered++;
          continue;
        }
        const encoded = toEventRecord(record);
        batcher.push(encoded, encoded.size, now);
      }
      fetchedUpTo = Math.max(fetchedUpTo ?? upTo, upTo);
      updatePause();
      wake?.();
      maybeCommit();
    },
    observeHighWatermark(offset) {
      highWatermark = offset;
    },
    commitStart(offset) {
      if (!stopped) requestCommit(offset);
    },
    observeCommitted(offset) {
      if (offset !== null && (committed === null || offset > committed)) committed = offset;
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        abort.abort();
        wake?.();
      }
      await loop;
      maybeCommit();
      while (committing) await committing;
    },
    snapshot() {
      return {
        partition,
        committed,
        highWatermark,
        lag: highWatermark !== null && committed !== null ? Math.max(0, highWatermark - committed) : null,
        buffered: batcher.length,
        bufferedBytes: batcher.bytes,
        inFlight: invoking,
        paused,
      };
    },
  };
}
