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

export interface LoadedCheckpoint {
  checkpoint: Checkpoint;
  state: StateEntries;
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
}
