import { CheckpointConflictError } from '../errors';
import type { PartitionBatch } from '../event/types';
import { runProcess } from '../function/run-process';
import type { FunctionDefinition } from '../function/types';
import type { Logger } from '../log';
import type { StateEntries } from '../state/types';
import type { Store, StoreCost } from '../store/store';
import { taskKey } from '../store/task-key';
import type { Checkpoint, Outbox, TaskId } from './checkpoint';
import type { FaultInjector } from './faults';
import { type Publishers, publishOutbox } from './publish';

export interface CoordinatorDeps {
  store: Store;
  publishers: Publishers;
  now: () => number;
  log: Logger;
  faults: FaultInjector;
  /**
   * How long the publish marker of an outbox is known to last. The Kafka marker is an offset of
   * a group without members, which the broker drops `offsets.retention.minutes` after its commit
   * (7 days by default). An outbox found at a cold start that was committed longer ago than this
   * may have lost its marker, so re-publishing it could duplicate; it is assumed published.
   */
  outboxMarkerRetentionMs?: number;
}

/** Kafka's default `offsets.retention.minutes` (10080), less an hour of margin. */
export const DEFAULT_OUTBOX_MARKER_RETENTION_MS = (10_080 - 60) * 60_000;

export interface BatchOutcome {
  task: TaskId;
  /** records applied by this call (0 when all were applied before) */
  applied: number;
  skipped: number;
  /** offsets missing between the checkpoint and the first new record (compaction, markers) */
  gap: number;
  checkpoint: Checkpoint;
  cost: StoreCost | null;
}

/** What a warm process remembers of a task: exactly the committed (task, version). */
interface WarmTask {
  checkpoint: Checkpoint;
  state: StateEntries;
  outboxPublished: boolean;
}

/**
 * The exactly-once protocol of one partition task (DESIGN section 4):
 * load, flush outbox, skip applied, process, commit on version, publish, return.
 *
 * The warm cache only ever holds what the store confirmed; any doubt (conflict, store error
 * whose outcome is unknown) drops it, so the next call reloads the truth.
 */
export function createCoordinator(deps: CoordinatorDeps) {
  const warm = new Map<string, WarmTask>();

  async function load(task: TaskId): Promise<WarmTask> {
    const cached = warm.get(taskKey(task));
    if (cached) return cached;
    const loaded = await deps.store.load(task);
    const entry: WarmTask = loaded
      ? { checkpoint: loaded.checkpoint, state: loaded.state, outboxPublished: false }
      : { checkpoint: emptyCheckpoint(), state: new Map(), outboxPublished: true };
    warm.set(taskKey(task), entry);
    return entry;
  }

  async function flush(
    definition: FunctionDefinition,
    task: TaskId,
    entry: WarmTask,
    outbox: Outbox | null,
    recovery: boolean,
  ) {
    if (outbox === null || outbox.messages.length === 0) {
      entry.outboxPublished = true;
      return;
    }
    await publishOutbox(deps.publishers, {
      task,
      outbox,
      sinks: definition.sinks,
      faults: deps.faults,
      recovery,
    });
    entry.outboxPublished = true;
  }

  async function runBatch(definition: FunctionDefinition, batch: PartitionBatch): Promise<BatchOutcome> {
    const task: TaskId = { fn: definition.name, topic: batch.topic, partition: batch.partition };
    const key = taskKey(task);
    try {
      // 1. Load (nothing to read when warm).
      const entry = await load(task);
      await deps.faults('after-load', task);

      // 2. Flush the outbox of the last commit if this process has not published it.
      if (!entry.outboxPublished) {
        const age = deps.now() - entry.checkpoint.committedAt;
        const retention = deps.outboxMarkerRetentionMs ?? DEFAULT_OUTBOX_MARKER_RETENTION_MS;
        if (entry.checkpoint.outbox && age > retention) {
          deps.log.warn('outbox older than the outbox marker retention: assuming it was published', {
            task: key,
            committedAt: new Date(entry.checkpoint.committedAt).toISOString(),
            endOffset: entry.checkpoint.outbox.endOffset,
            setting: 'SLUICE_OUTBOX_MARKER_RETENTION_MINUTES (match the broker offsets.retention.minutes)',
          });
          entry.outboxPublished = true;
        } else {
          await flush(definition, task, entry, entry.checkpoint.outbox, true);
        }
      }
      await deps.faults('after-flush', task);

      // 3. Skip what was applied before.
      const base = entry.checkpoint;
      const fresh = batch.records.filter((r) => r.offset >= base.next);
      const skipped = batch.records.length - fresh.length;
      const first = fresh[0];
      const last = fresh.at(-1);
      if (first === undefined || last === undefined) {
        return { task, applied: 0, skipped, gap: 0, checkpoint: base, cost: null };
      }
      const gap = base.version > 0 ? first.offset - base.next : 0;
      if (gap > 0) {
        deps.log.info('offset gap before batch (compaction, transaction markers or retention)', {
          task: key,
          expected: base.next,
          got: first.offset,
          gap,
        });
      }

      // 4. Process.
      const { transaction, messages } = await runProcess(definition, task, fresh, entry.state, deps.log);
      await deps.faults('after-process', task);

      // 5. Commit, conditional on the version we built on.
      const outbox: Outbox | null =
        messages.length > 0 ? { firstOffset: first.offset, endOffset: last.offset, messages } : null;
      const { checkpoint, cost } = await deps.store.commit({
        task,
        expectedVersion: base.version,
        next: last.offset + 1,
        delta: transaction.delta(),
        stateKeys: transaction.sizeAfter(),
        outbox,
        committedAt: deps.now(),
      });
      transaction.applyTo(entry.state);
      entry.checkpoint = checkpoint;
      entry.outboxPublished = false;
      await deps.faults('after-commit', task);

      // 6. Publish; if this fails, step 2 of the next call repeats it.
      await flush(definition, task, entry, outbox, false);
      await deps.faults('after-publish', task);

      // 7. Return: the trigger commits its consumer offset.
      return { task, applied: fresh.length, skipped, gap, checkpoint, cost };
    } catch (error) {
      // A conflict means another invocation owns the task; any other failure may or may not
      // have reached the store. Either way, forget what we think we know.
      if (!(error instanceof CheckpointConflictError)) deps.log.debug('batch failed', { task: key });
      warm.delete(key);
      throw error;
    }
  }

  return {
    runBatch,
    /** Drops warm state, as a cold start would (tests, and the emulator after a rebalance). */
    forget(task?: TaskId) {
      if (task) warm.delete(taskKey(task));
      else warm.clear();
    },
  };
}

export type Coordinator = ReturnType<typeof createCoordinator>;

function emptyCheckpoint(): Checkpoint {
  return { version: 0, next: 0, outbox: null, stateKeys: 0, committedAt: 0 };
}
