import type { Checkpoint, CommitRequest, LoadedCheckpoint, TaskId } from '../checkpoint/checkpoint';
import { CheckpointConflictError } from '../errors';
import { applyDelta, encodeDelta } from '../state/encoding';
import type { StateEntries } from '../state/types';
import type { CommitResult, Store } from './store';
import { parseTaskKey, taskKey } from './task-key';

export interface MemoryEntry {
  checkpoint: Checkpoint;
  state: StateEntries;
}

/** The RAM behind memory stores; share one between stores to model two processes. */
export type MemoryBacking = Map<string, MemoryEntry>;

/**
 * Checkpoints in RAM, for tests and `sluice invoke`. Values are deep-copied on the way in and
 * out (through JSON) so callers can never alias stored state, as with a real store.
 *
 * @example
 * const store = createMemoryStore();
 * await store.commit({ task, expectedVersion: 0, next: 10, delta, stateKeys: 1, outbox: null, committedAt: Date.now() });
 */
export function createMemoryStore(tasks: MemoryBacking = new Map()): Store {
  const copy = <T>(value: T): T => structuredClone(value);

  return {
    kind: 'memory',
    async load(task: TaskId): Promise<LoadedCheckpoint | null> {
      const entry = tasks.get(taskKey(task));
      return entry ? { checkpoint: copy(entry.checkpoint), state: copy(entry.state) } : null;
    },
    async commit(request: CommitRequest): Promise<CommitResult> {
      const key = taskKey(request.task);
      const current = tasks.get(key);
      if ((current?.checkpoint.version ?? 0) !== request.expectedVersion) {
        throw new CheckpointConflictError(
          key,
          request.expectedVersion,
          current ? copy(current.checkpoint) : null,
        );
      }
      const checkpoint: Checkpoint = {
        version: request.expectedVersion + 1,
        next: request.next,
        outbox: copy(request.outbox),
        stateKeys: request.stateKeys,
        committedAt: request.committedAt,
      };
      const state = applyDelta(current?.state ?? new Map(), copy(request.delta));
      tasks.set(key, { checkpoint, state });
      const bytes = encodeDelta(request.delta).length + JSON.stringify(request.outbox).length;
      return {
        checkpoint: copy(checkpoint),
        cost: { reads: 0, writes: 1, objectGets: 0, objectPuts: 0, bytes },
      };
    },
    async list(fn?: string): Promise<TaskId[]> {
      return [...tasks.keys()].map(parseTaskKey).filter((t) => fn === undefined || t.fn === fn);
    },
    async reset(task: TaskId): Promise<void> {
      tasks.delete(taskKey(task));
    },
    async close(): Promise<void> {},
  };
}
