import type { Checkpoint, Outbox, TaskId } from '../core/checkpoint';
import { CheckpointConflictError, TaskRewoundError } from '../core/errors';
import type { FaultInjector } from '../core/faults';
import type { Logger } from '../core/log';
import { taskKey, taskName } from '../core/task';
import type { PartitionBatch, RawRecord } from '../event/types';
import type { Publishers } from '../sink/publisher';
import { isEmptyDelta } from '../state/encoding';
import type { Store, StoreCost } from '../store/store';
import type { FunctionDefinition } from './definition';
import { createIdleFlush, type FlushOptions, type FlushReport } from './flush';
import { outboxSpan } from './outbox-span';
import { checkOutboxSinks, publishOutbox, sinkLimits } from './publish';
import { runWithQuarantine } from './quarantine-run';
import { runProcess } from './run-process';
import { appliedRecord, checkSkippedRecords, logGap } from './source-log';
import { stateBytesAfter, stateBytesOf } from './state-bytes';
import { type TickReport, tickTasks } from './tick';
import { createWarmCache, type WarmTask } from './warm-cache';

export interface CoordinatorDeps {
  store: Store;
  publishers: Publishers;
  now: () => number;
  log: Logger;
  faults: FaultInjector;
  /** the deployment namespace (lib/core/namespace.ts): part of every Kafka identity */
  namespace: string;
}

export interface BatchOutcome {
  task: TaskId;
  /** records applied by this call (0 when all were applied before) */
  applied: number;
  skipped: number;
  /** offsets missing between the checkpoint and the first new record (compaction, markers) */
  gap: number;
  checkpoint: Checkpoint;
  cost: StoreCost | null;
  /** the first attempt met a checkpoint that had moved on, and the batch ran again on it */
  reran: boolean;
  /** records this batch parked in the per-key quarantine (onError: 'quarantine-key') */
  quarantined?: number;
  /** What metrics and the live page show (lib/lambda/batch-metrics.ts). */
  observed: BatchObservations;
}

/** Facts of one batch that only the protocol sees, for metrics (never read by the protocol). */
export interface BatchObservations {
  /** timestamp of the batch's newest record (applied now or before); null for an empty batch */
  newestTimestamp: number | null;
  /** `committedAt` of the checkpoint the batch started from (0: never committed) */
  previousCommittedAt: number;
  /** the conditional write (0 when nothing was committed) */
  commitMs: number;
  /** publishing this batch's outbox (0 when it had none) */
  publishMs: number;
  /** outputs in this batch's outbox */
  outboxMessages: number;
  /** size of the state after the batch (state-bytes.ts) */
  stateBytes: number;
}

/**
 * The exactly-once protocol of one partition task (DESIGN section 4):
 * load, flush outbox, skip applied, process, commit on version, publish, return.
 *
 * The warm cache only ever holds what the store confirmed; any doubt (conflict, store error
 * whose outcome is unknown) drops it, so the next call reloads the truth. Lambda sends a batch to
 * any warm instance, so a warm checkpoint can be stale: the commit's conflict says so, and the
 * batch runs once more on the current checkpoint (one read, one write) before it fails.
 */
export function createCoordinator(deps: CoordinatorDeps) {
  const warm = createWarmCache();
  const counters = { reruns: 0 };

  /**
   * The task's warm entry, loading it when cold; the caller releases it. A warm entry is trusted
   * without a read, except to skip records: a batch below the warm next offset is a redelivery,
   * or the task was rewound by another process, so the store is asked once (rare, and cheap
   * next to skipping a rewound range as "applied").
   */
  async function acquire(definition: FunctionDefinition, task: TaskId, first: number): Promise<WarmTask> {
    const cached = warm.acquire(task);
    if (cached && first < cached.checkpoint.next) {
      const stored = await deps.store.peek(task);
      if (stored?.version === cached.checkpoint.version && stored.commitId === cached.checkpoint.commitId) {
        return cached;
      }
      warm.drop(task, cached);
      warm.release(cached);
    } else if (cached) {
      return cached;
    }
    const loaded = await deps.store.load(task);
    const outbox = loaded?.checkpoint.outbox ?? null;
    if (outbox) checkOutboxSinks(task, outbox, definition.sinks);
    return warm.insert(
      task,
      loaded
        ? {
            checkpoint: loaded.checkpoint,
            state: loaded.state,
            base: loaded.base,
            outboxPublished: isEmpty(outbox),
          }
        : { checkpoint: emptyCheckpoint(), state: new Map(), base: null, outboxPublished: true },
    );
  }

  async function publish(definition: FunctionDefinition, task: TaskId, outbox: Outbox, recovery: boolean) {
    if (isEmpty(outbox)) return;
    await publishOutbox(deps.publishers, {
      namespace: deps.namespace,
      task,
      outbox,
      sinks: definition.sinks,
      faults: deps.faults,
      recovery,
    });
  }

  async function attempt(
    definition: FunctionDefinition,
    task: TaskId,
    records: RawRecord[],
    seen: { epoch: number },
    /** the scheduled tick: no records, only due timers and idle time (tick.ts) */
    tick = false,
  ): Promise<Omit<BatchOutcome, 'reran'>> {
    // A tick has no records, so nothing to skip: its own version check (tick()) covers staleness.
    const entry = await acquire(definition, task, records[0]?.offset ?? Number.POSITIVE_INFINITY);
    seen.epoch = entry.checkpoint.epoch;
    entry.stateBytes ??= stateBytesOf(entry.state);
    const observed: BatchObservations = {
      newestTimestamp: records.at(-1)?.timestamp ?? null,
      previousCommittedAt: entry.checkpoint.committedAt,
      commitMs: 0,
      publishMs: 0,
      outboxMessages: 0,
      stateBytes: entry.stateBytes,
    };
    try {
      await deps.faults('after-load', task);

      // 2. Flush the outbox of the last commit if this process has not published it. A marker
      // below its end, or none, means it was not: only a later commit or the scheduled flush
      // takes an outbox out of the checkpoint, and both do so after it was published.
      if (!entry.outboxPublished) {
        warnIfUnflushed(deps, task, entry.checkpoint);
        await publish(definition, task, entry.checkpoint.outbox!, true);
        entry.outboxPublished = true;
      }
      await deps.faults('after-flush', task);

      // 3. Skip what was applied before.
      const base = entry.checkpoint;
      const fresh = records.filter((r) => r.offset >= base.next);
      const skipped = records.length - fresh.length;
      if (skipped > 0) checkSkippedRecords(task, base, records.slice(0, skipped));
      const first = fresh[0];
      const last = fresh.at(-1);
      const idle = { task, applied: 0, skipped, gap: 0, checkpoint: base, cost: null, observed };
      if ((first === undefined || last === undefined) && !tick) return idle;
      const gap = base.version > 0 && first ? first.offset - base.next : 0;
      if (gap > 0 && first) logGap(deps.log, task, base.next, first.offset);

      // 4. Process; every output is checked against its sink's limits before anything commits.
      const limits = await sinkLimits(deps.publishers, definition.sinks);
      const clock = { now: deps.now(), tick };
      // With onError: 'quarantine-key', terminal failures park their keys (quarantine-run.ts).
      const ran = definition.quarantine
        ? await runWithQuarantine(
            definition,
            definition.quarantine,
            task,
            fresh,
            entry.state,
            deps.log,
            limits,
            clock,
          )
        : await runProcess(definition, task, fresh, entry.state, deps.log, limits, clock);
      const { transaction, messages } = ran;
      const quarantined = 'parked' in ran ? ran.parked : undefined;
      const span =
        messages.length === 0
          ? null
          : 'raw' in transaction
            ? outboxSpan(
                transaction.raw,
                base.next,
                first && last ? { first: first.offset, last: last.offset } : null,
              )
            : // The quarantine path runs no timers (validate.ts): its outboxes end at their records.
              { firstOffset: first!.offset, endOffset: last!.offset };
      // A tick that found nothing due changes nothing: no commit.
      if (tick && span === null && isEmptyDelta(transaction.delta())) return idle;
      await deps.faults('after-process', task);

      // 5. Commit, conditional on the version we built on.
      const outbox: Outbox | null = span ? { ...span, messages } : null;
      // The store may consume its base: hand it over only when no other batch uses the entry.
      const delta = transaction.delta();
      observed.stateBytes = stateBytesAfter(entry.stateBytes, entry.state, delta);
      observed.outboxMessages = messages.length;
      const commitStarted = deps.now();
      const {
        checkpoint,
        cost,
        base: next,
      } = await deps.store.commit({
        task,
        expectedVersion: base.version,
        expectedCommitId: base.commitId,
        epoch: base.epoch,
        last: last ? appliedRecord(last) : base.last,
        next: last ? last.offset + 1 : base.next,
        delta,
        stateKeys: transaction.sizeAfter(),
        outbox,
        committedAt: deps.now(),
        ...(warm.exclusive(task, entry) && { base: entry.base }),
      });
      observed.commitMs = deps.now() - commitStarted;
      if (warm.exclusive(task, entry)) {
        transaction.applyTo(entry.state);
        entry.stateBytes = observed.stateBytes;
        entry.checkpoint = checkpoint;
        entry.base = next;
        entry.outboxPublished = outbox === null;
      } else {
        // Another batch of this process reads the entry's state as its base: leave it alone.
        warm.drop(task, entry);
      }
      await deps.faults('after-commit', task);

      // 6. Publish; if this fails, step 2 of the next call (or the scheduled flush) repeats it.
      if (outbox) {
        const publishStarted = deps.now();
        await publish(definition, task, outbox, false);
        observed.publishMs = deps.now() - publishStarted;
        if (entry.checkpoint === checkpoint) entry.outboxPublished = true;
      }
      await deps.faults('after-publish', task);

      // 7. Return: the trigger commits its consumer offset.
      return {
        task,
        applied: fresh.length,
        skipped,
        gap,
        checkpoint,
        cost,
        observed,
        ...(quarantined !== undefined && { quarantined }),
      };
    } catch (error) {
      // A conflict means another invocation moved the task; any other failure may or may not
      // have reached the store. Either way, forget what we think we know.
      warm.drop(task, entry);
      throw error;
    } finally {
      warm.release(entry);
    }
  }

  async function runBatch(
    definition: FunctionDefinition,
    batch: PartitionBatch,
    tick = false,
  ): Promise<BatchOutcome> {
    const task: TaskId = { fn: definition.name, topic: batch.topic, partition: batch.partition };
    const seen = { epoch: 0 };
    try {
      return { ...(await attempt(definition, task, batch.records, seen, tick)), reran: false };
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      const current = error.current as Checkpoint | null;
      const first = batch.records[0]?.offset ?? 0;
      // Rewound meanwhile: re-running is right only for a batch that reaches back to the rewind
      // point; one starting after it belongs to the old history (its records in between were
      // never applied on the new one).
      if (current && current.epoch !== seen.epoch && first > current.next) {
        warm.drop(task);
        throw new TaskRewoundError(taskName(task), current.next, first);
      }
      // Lambda gave this batch to an instance whose warm checkpoint is old, or an invocation
      // beside it committed first. Failing would count against MaximumRetryAttempts and bisect;
      // re-running on the current checkpoint skips what is applied and applies the rest.
      counters.reruns += 1;
      deps.log.info(
        'checkpoint moved on since this process read it: re-running the batch on the current one',
        {
          task: taskKey(task),
          current: current?.version ?? null,
        },
      );
      return { ...(await attempt(definition, task, batch.records, seen, tick)), reran: true };
    }
  }

  const flush = createIdleFlush({
    ...deps,
    warm,
    publish: (definition, task, outbox) => publish(definition, task, outbox, true),
  });

  const api = {
    runBatch,
    /** The scheduled flush: publishes and confirms the outboxes of idle tasks (flush.ts). */
    flushIdle(definition: FunctionDefinition, options?: FlushOptions): Promise<FlushReport> {
      return flush(definition, options);
    },
    /**
     * The scheduled tick of one task: the protocol without records (fire due processing-time
     * timers, advance an idle task's time), committed on the version like a batch, so a tick
     * racing a batch is fenced and re-run on the batch's checkpoint, never applied twice.
     */
    async tick(definition: FunctionDefinition, task: TaskId): Promise<BatchOutcome> {
      // A batch on a stale warm checkpoint finds out at its commit; a tick that finds nothing
      // due would not commit, and so would never find out. Check the version first (one read).
      const current = await deps.store.peek(task);
      const entry = warm.acquire(task);
      if (entry) {
        const same =
          entry.checkpoint.version === current?.version && entry.checkpoint.commitId === current.commitId;
        if (!same) warm.drop(task, entry);
        warm.release(entry);
      }
      return runBatch(definition, { topic: task.topic, partition: task.partition, records: [] }, true);
    },
    /** The scheduled tick of every task of the function (tick.ts). */
    tickIdle(definition: FunctionDefinition): Promise<TickReport> {
      return tickTasks({ store: deps.store, log: deps.log, tick: api.tick }, definition);
    },
    /** Batches re-run after a conflict so far. */
    get reruns() {
      return counters.reruns;
    },
    /** Drops warm state, as a cold start would (tests, and the emulator after a rebalance). */
    forget(task?: TaskId) {
      if (task) warm.drop(task);
      else warm.clear();
    },
  };
  return api;
}

export type Coordinator = ReturnType<typeof createCoordinator>;

/** Kafka's default `offsets.retention.minutes`: 7 days. */
const DEFAULT_MARKER_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * An outbox nobody confirmed for longer than the broker keeps markers means the scheduled flush
 * has not run: its absent marker can no longer tell. It is published all the same (never lost),
 * which duplicates it if it had been published before its marker expired: say so loudly.
 */
function warnIfUnflushed(deps: CoordinatorDeps, task: TaskId, checkpoint: Checkpoint): void {
  const age = deps.now() - checkpoint.committedAt;
  if (age <= DEFAULT_MARKER_RETENTION_MS) return;
  deps.log.error(
    'outbox unconfirmed for longer than Kafka keeps outbox markers: is the scheduled flush running?',
    {
      task: taskKey(task),
      committedAt: new Date(checkpoint.committedAt).toISOString(),
      endOffset: checkpoint.outbox?.endOffset,
      consequence: 'published now; if it was published before its marker expired, its outputs appear twice',
      fix: 'deploy the flush schedule (custom.sluice.flushSchedule in serverless.yml) and check its errors',
    },
  );
}

function isEmpty(outbox: Outbox | null): boolean {
  return outbox === null || outbox.messages.length === 0;
}

function emptyCheckpoint(): Checkpoint {
  return {
    version: 0,
    commitId: '',
    epoch: 0,
    last: null,
    next: 0,
    outbox: null,
    stateKeys: 0,
    committedAt: 0,
  };
}
