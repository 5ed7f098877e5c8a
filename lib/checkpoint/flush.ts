import { type Checkpoint, commitInPlace, type Outbox, type StoreBase, type TaskId } from '../core/checkpoint';
import { CheckpointConflictError, messageOf, SluiceError } from '../core/errors';
import type { Logger } from '../core/log';
import { taskKey } from '../core/task';
import type { CommitResult, Store } from '../store/store';
import type { FunctionDefinition } from './definition';
import type { WarmCache } from './warm-cache';

/**
 * A task is idle, for the flush, when its last commit is at least this old. Busy tasks publish
 * their own outboxes; flushing them too would only fence their producers (the flush inits the
 * task's transactional id). Under Lambda's default batching window, a busy partition commits
 * every few seconds.
 */
export const DEFAULT_FLUSH_IDLE_MS = 60_000;
/** Tasks flushed at once: each costs a producer init, a marker read and a conditional write. */
const FLUSH_PARALLELISM = 8;

export interface FlushOptions {
  /** flush tasks whose last commit is at least this old (default DEFAULT_FLUSH_IDLE_MS) */
  idleMs?: number;
}

export interface FlushReport {
  /** tasks of the function in the store */
  tasks: number;
  /** idle tasks whose outbox was published (or found published) and confirmed in the store */
  confirmed: number;
  /** tasks with an unconfirmed outbox that committed too recently to count as idle */
  busy: number;
  /** tasks whose confirmation lost to a batch committing meanwhile (it replaced the outbox) */
  overtaken: number;
  failures: Array<{ task: string; error: string }>;
}

/** One or more idle tasks could not be flushed; the others were. */
export class FlushFailedError extends SluiceError {
  constructor(fn: string, report: FlushReport) {
    super(
      'PUBLISH',
      `${fn}: the scheduled flush failed for ${report.failures.length} of ${report.tasks} task(s): ` +
        `${report.failures.map((f) => `${f.task}: ${f.error}`).join(' | ')}. ` +
        'Their outboxes stay in the checkpoints: the next flush or batch publishes them',
      { retriable: true },
    );
  }
}

/**
 * The scheduled flush (DESIGN section 5): committed outputs never wait for the next record.
 * For each idle task whose checkpoint still holds an outbox: publish it (the publisher's marker
 * check makes that a no-op when it was published), then record durably that it was, with a
 * commit that changes nothing but the outbox (conditional on the version, like any commit, so
 * a batch racing it wins and the flush steps back).
 *
 * This is what makes the outbox marker's expiry harmless: the broker drops a member-less
 * group's offsets `offsets.retention.minutes` (7 days) after their commit, but an outbox is taken
 * out of the checkpoint only by a later commit or by this confirmation, both after it was
 * published. So an outbox still in a checkpoint was never confirmed, and an absent marker
 * for it means "not published", never "expired" — as long as this flush runs more often
 * than the retention (every few minutes: the serverless plugin schedules it).
 */
export function createIdleFlush(deps: {
  store: Store;
  warm: WarmCache;
  now: () => number;
  log: Logger;
  /** the coordinator's publish of a recovered outbox (publishOutbox with its namespace and faults) */
  publish: (definition: FunctionDefinition, task: TaskId, outbox: Outbox) => Promise<void>;
}) {
  async function flushTask(
    definition: FunctionDefinition,
    task: TaskId,
    idleMs: number,
    report: FlushReport,
  ): Promise<void> {
    const checkpoint = await deps.store.peek(task);
    const outbox = checkpoint?.outbox;
    if (!checkpoint || !outbox) return;
    if (deps.now() - checkpoint.committedAt < idleMs) {
      report.busy += 1;
      return;
    }
    const entry = deps.warm.acquire(task);
    try {
      const known = entry?.checkpoint.version === checkpoint.version && entry.outboxPublished;
      if (!known) await deps.publish(definition, task, outbox);
      const exclusive = entry?.checkpoint.version === checkpoint.version && deps.warm.exclusive(task, entry);
      const confirmed = await confirmOutbox(deps.store, task, checkpoint, exclusive ? entry.base : undefined);
      if (confirmed === null) {
        report.overtaken += 1;
        if (entry) deps.warm.drop(task, entry);
        return;
      }
      report.confirmed += 1;
      if (entry && exclusive) {
        // Same state, same offsets: only the checkpoint moved (a new version without outbox).
        entry.checkpoint = confirmed.checkpoint;
        entry.base = confirmed.base;
        entry.outboxPublished = true;
      } else if (entry) {
        deps.warm.drop(task, entry);
      }
    } finally {
      if (entry) deps.warm.release(entry);
    }
  }

  return async function flushIdle(
    definition: FunctionDefinition,
    options: FlushOptions = {},
  ): Promise<FlushReport> {
    const idleMs = options.idleMs ?? DEFAULT_FLUSH_IDLE_MS;
    const tasks = (await deps.store.list(definition.name)).filter((t) => t.topic === definition.source.topic);
    const report: FlushReport = { tasks: tasks.length, confirmed: 0, busy: 0, overtaken: 0, failures: [] };
    const queue = [...tasks];
    const worker = async () => {
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
        try {
          await flushTask(definition, task, idleMs, report);
        } catch (error) {
          report.failures.push({ task: taskKey(task), error: messageOf(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLUSH_PARALLELISM, tasks.length) }, worker));
    deps.log.info('scheduled flush', { fn: definition.name, ...report, failures: report.failures.length });
    if (report.failures.length > 0) throw new FlushFailedError(definition.name, report);
    return report;
  };
}

/**
 * Records that the outbox of `checkpoint` was published (or is given up): a commit with the same
 * next offset and state and no outbox, conditional on the version. Null when a batch committed
 * first (its commit replaced the outbox, after publishing it).
 */
export async function confirmOutbox(
  store: Store,
  task: TaskId,
  checkpoint: Checkpoint,
  base?: StoreBase,
): Promise<CommitResult | null> {
  try {
    const result = await store.commit(
      commitInPlace(task, checkpoint, {
        delta: { set: [], del: [] },
        stateKeys: checkpoint.stateKeys,
        outbox: null,
        ...(base !== undefined && { base }),
      }),
    );
    return result;
  } catch (error) {
    if (error instanceof CheckpointConflictError) return null;
    throw error;
  }
}
