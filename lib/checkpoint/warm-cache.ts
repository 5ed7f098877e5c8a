import type { Checkpoint, StoreBase, TaskId } from '../core/checkpoint';
import type { StateEntries } from '../core/state-types';
import { taskKey } from '../core/task';

/** What a warm process remembers of a task: exactly a committed (task, version). */
export interface WarmTask {
  checkpoint: Checkpoint;
  /** the materialised state of `checkpoint`; batches read it as their base */
  state: StateEntries;
  /** what the store needs to commit on top of `checkpoint` without reading (opaque) */
  base: StoreBase;
  /** this process published (or confirmed) the checkpoint's outbox */
  outboxPublished: boolean;
  /** size of `state` (state-bytes.ts), counted at the first batch after a load */
  stateBytes?: number;
  /** batches (or flushes) of this process using the entry right now */
  users: number;
}

/**
 * The warm checkpoints of one process: the only warm cache (stores keep none; they hand out a
 * `StoreBase` kept here). Lambda Managed Instances run several invocations at once
 * in one process, and a timed-out invocation may still run beside its retry: an entry can have
 * several users. Its state is only changed in place by a sole user; with company, a commit
 * drops the entry instead (the next batch reloads), so no batch ever sees its base change.
 */
export function createWarmCache() {
  const tasks = new Map<string, WarmTask>();
  return {
    /** The entry of a task, with one more user (release it when done), or null when cold. */
    acquire(task: TaskId): WarmTask | null {
      const entry = tasks.get(taskKey(task));
      if (entry) entry.users += 1;
      return entry ?? null;
    },
    /** Remembers a loaded checkpoint, with one user: the caller. */
    insert(task: TaskId, entry: Omit<WarmTask, 'users'>): WarmTask {
      const warm = { ...entry, users: 1 };
      tasks.set(taskKey(task), warm);
      return warm;
    },
    release(entry: WarmTask): void {
      entry.users -= 1;
    },
    /** Whether the caller is the entry's only user and it is still the task's current one. */
    exclusive(task: TaskId, entry: WarmTask): boolean {
      return entry.users === 1 && tasks.get(taskKey(task)) === entry;
    },
    /** Forgets a task's entry (only `entry`, when given: a newer one stays). */
    drop(task: TaskId, entry?: WarmTask): void {
      const key = taskKey(task);
      if (entry === undefined || tasks.get(key) === entry) tasks.delete(key);
    },
    clear(): void {
      tasks.clear();
    },
  };
}

export type WarmCache = ReturnType<typeof createWarmCache>;
