import type { Checkpoint, CommitRequest, LoadedCheckpoint, StoreBase, TaskId } from '../core/checkpoint';
import type { SavepointStore } from '../core/savepoint';

/** AWS (or disk) work done by one store call; counted so tests and benches can assert on cost. */
export interface StoreCost {
  reads: number;
  writes: number;
  objectGets: number;
  objectPuts: number;
  /** bytes sent to the store */
  bytes: number;
}

export interface CommitResult {
  checkpoint: Checkpoint;
  cost: StoreCost;
  /** the base of the new version, for the caller's next commit */
  base: StoreBase;
}

/**
 * The one contract every store driver implements (memory, file, aws).
 *
 * `commit` is atomic and conditional: it succeeds only if the stored version equals
 * `expectedVersion` (no checkpoint at all for 0), and otherwise throws
 * `CheckpointConflictError` carrying the current checkpoint, having changed nothing.
 *
 * Stores keep no warm state of their own: what they need to commit without reading is the
 * `StoreBase` they hand out with each load and commit, which the caller keeps (the coordinator's
 * warm cache, the only one) and hands back. Stores are therefore safe to share between
 * concurrent invocations of one process.
 */
export interface Store {
  readonly kind: string;
  /** The checkpoint and the full materialised state, or null for a task never committed. */
  load(task: TaskId): Promise<LoadedCheckpoint | null>;
  /** The checkpoint alone, without reading the state (the scheduled flush, the CLI). */
  peek(task: TaskId): Promise<Checkpoint | null>;
  commit(request: CommitRequest): Promise<CommitResult>;
  /** Tasks with a checkpoint, optionally for one function (CLI, tests). */
  list(fn?: string): Promise<TaskId[]>;
  /**
   * Remove a task's checkpoint and state (tests, the walkthrough's cleanup). Versions start over
   * after it: a deployment rewinds and resets with a commit instead (lib/checkpoint/rewind.ts).
   */
  reset(task: TaskId): Promise<void>;
  /** Savepoints of this deployment, beside its checkpoints (`sluice savepoint`, `sluice rewind`). */
  readonly savepoints: SavepointStore;
  close(): Promise<void>;
}

export function zeroCost(): StoreCost {
  return { reads: 0, writes: 0, objectGets: 0, objectPuts: 0, bytes: 0 };
}
