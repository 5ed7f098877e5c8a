import { randomBytes } from 'node:crypto';
import {
  type Checkpoint,
  type CommitRequest,
  checkpointOfCommit,
  isCommitBase,
  type LoadedCheckpoint,
  type TaskId,
} from '../core/checkpoint';
import { CheckpointConflictError } from '../core/errors';
import type { StateEntries } from '../core/state-types';
import { parseTaskKey, taskKey, taskName } from '../core/task';
import { applyDelta, decodeDelta, encodeDelta } from '../state/encoding';
import { createMemorySavepoints } from './savepoints-local';
import type { CommitResult, Store } from './store';

export interface MemoryEntry {
  /** The committed checkpoint as JSON text: what a commit wrote cannot change afterwards. */
  checkpoint: string;
  version: number;
  state: StateEntries;
}

/** The RAM behind memory stores; share one between stores to model two processes. */
export type MemoryBacking = Map<string, MemoryEntry>;

/**
 * Checkpoints in RAM, for tests and `sluice invoke`. Like a real store, it keeps its own copy
 * (checkpoints as JSON text, state through the delta's encoding) and hands out fresh ones, so
 * callers can never alias stored data.
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
      return entry
        ? { checkpoint: JSON.parse(entry.checkpoint), state: copy(entry.state), base: null }
        : null;
    },
    async peek(task: TaskId): Promise<Checkpoint | null> {
      const entry = tasks.get(taskKey(task));
      return entry ? JSON.parse(entry.checkpoint) : null;
    },
    async commit(request: CommitRequest): Promise<CommitResult> {
      const key = taskKey(request.task);
      const current = tasks.get(key);
      const stored: Checkpoint | null = current ? JSON.parse(current.checkpoint) : null;
      if (!isCommitBase(stored, request)) {
        throw new CheckpointConflictError(taskName(request.task), request.expectedVersion, stored);
      }
      const checkpoint = checkpointOfCommit(request, randomBytes(8).toString('hex'));
      // Encoded once, as a real store would write them; their length is the commit's cost.
      const text = JSON.stringify(checkpoint);
      const delta = encodeDelta(request.delta);
      const state = applyDelta(current?.state ?? new Map(), decodeDelta(delta));
      tasks.set(key, { checkpoint: text, version: checkpoint.version, state });
      return {
        checkpoint,
        cost: { reads: 0, writes: 1, objectGets: 0, objectPuts: 0, bytes: delta.length + text.length },
        base: null,
      };
    },
    async list(fn?: string): Promise<TaskId[]> {
      return [...tasks.keys()].map(parseTaskKey).filter((t) => fn === undefined || t.fn === fn);
    },
    async reset(task: TaskId): Promise<void> {
      tasks.delete(taskKey(task));
    },
    savepoints: createMemorySavepoints(),
    async close(): Promise<void> {},
  };
}
