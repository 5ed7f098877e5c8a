import type { StateDelta, StateEntries } from './state-types';

import type { TaskId } from './task';

export type { TaskId } from './task';

/** One output held in a committed outbox; key and value are already serialised (base64). */
export interface OutboxMessage {
  /** name of the sink in the function definition */
  sink: string;
  key: string | null;
  value: string | null;
  headers?: Array<[string, string]>;
  /** target partition when the sink's partitioner chose one */
  partition?: number;
}

/** Outputs of one committed batch, `firstOffset..endOffset` of the source partition. */
export interface Outbox {
  firstOffset: number;
  endOffset: number;
  messages: OutboxMessage[];
}

/** The durable record of a partition task. Version 0 means "never committed". */
export interface Checkpoint {
  version: number;
  /** next source offset to apply: records below it were applied */
  next: number;
  /**
   * Outputs of the last committed batch. It is replaced by the next commit rather than cleared
   * with an extra write: publishing is idempotent per (task, endOffset), so flushing it again
   * after a cold start is harmless.
   */
  outbox: Outbox | null;
  /** number of state keys after this commit */
  stateKeys: number;
  /** epoch ms of the commit */
  committedAt: number;
}

/**
 * What a store needs to commit on top of a version without reading it again (where the state
 * lives, what the next commit replaces). Opaque to everyone but the store that made it: the
 * caller keeps it with its warm checkpoint (the one warm cache) and hands it back on the next
 * commit. A store that needs nothing hands out null.
 */
export type StoreBase = { readonly storeBase: unique symbol } | null;

export interface LoadedCheckpoint {
  checkpoint: Checkpoint;
  state: StateEntries;
  base: StoreBase;
}

export interface CommitRequest {
  task: TaskId;
  /** the version this commit builds on; 0 for the first commit */
  expectedVersion: number;
  next: number;
  delta: StateDelta;
  /** number of state keys once the delta is applied (the caller holds the materialised state) */
  stateKeys: number;
  outbox: Outbox | null;
  committedAt: number;
  /**
   * The base of `expectedVersion` from the load or commit that produced it, if the caller still
   * holds it: the commit then reads nothing. Without it (or with one of another version) the
   * store reads what it needs. A commit may consume it: pass each base to one commit only.
   */
  base?: StoreBase;
}
