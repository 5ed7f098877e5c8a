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

/**
 * The last record a commit applied, as the source log had it: a record redelivered at that
 * offset with another timestamp or content proves the log changed under the checkpoint (topic
 * deleted and recreated, truncated by an unclean leader election).
 */
export interface AppliedRecord {
  offset: number;
  timestamp: number;
  /** CRC-32 of key and value bytes, hex */
  fingerprint: string;
}

/** The durable record of a partition task. Version 0 means "never committed". */
export interface Checkpoint {
  version: number;
  /**
   * Random per commit. The commit condition includes the base's commit id besides its version,
   * so a version number that recurs (a table restored to a point in time, a checkpoint reset by
   * hand) never lets a process holding the old one commit on the new history. '' for a
   * checkpoint written before commit ids were kept: the version alone then decides.
   */
  commitId: string;
  /**
   * Bumped by every rewind and reset (`sluice rewind`, `sluice reset`): a conflict with a later
   * epoch is a rewind, whose batches from before must not be re-run on the new history.
   */
  epoch: number;
  /** the last applied record (null: none since the last rewind, or written before this existed) */
  last: AppliedRecord | null;
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
  /**
   * The commit id of `expectedVersion` (Checkpoint.commitId): the commit also fails if the
   * stored checkpoint has that version but another commit id. Undefined or '' (a first commit,
   * a checkpoint from before commit ids): the version alone decides.
   */
  expectedCommitId?: string;
  /** the epoch to write: the base's, or one more for a rewind (default 0) */
  epoch?: number;
  /** the last record this commit applies (default null: none, e.g. a confirmation or a rewind) */
  last?: AppliedRecord | null;
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

/** The checkpoint a commit request writes, under the commit id the store chose for it. */
export function checkpointOfCommit(request: CommitRequest, commitId: string): Checkpoint {
  return {
    version: request.expectedVersion + 1,
    commitId,
    epoch: request.epoch ?? 0,
    last: request.last ?? null,
    next: request.next,
    outbox: request.outbox,
    stateKeys: request.stateKeys,
    committedAt: request.committedAt,
  };
}

/**
 * Whether `stored` (null: none) is the checkpoint a commit builds on: same version, and the same
 * commit id when both are known.
 */
export function isCommitBase(
  stored: Pick<Checkpoint, 'version' | 'commitId'> | null,
  request: CommitRequest,
): boolean {
  if ((stored?.version ?? 0) !== request.expectedVersion) return false;
  if (!stored || !request.expectedCommitId || !stored.commitId) return true;
  return stored.commitId === request.expectedCommitId;
}

/** A checkpoint read back as stored before commit ids, epochs and last records were kept. */
export function withCheckpointDefaults(
  stored: Omit<Checkpoint, 'commitId' | 'epoch' | 'last'> & Partial<Checkpoint>,
): Checkpoint {
  return { ...stored, commitId: stored.commitId ?? '', epoch: stored.epoch ?? 0, last: stored.last ?? null };
}

/**
 * A commit on `checkpoint` that applies no record (the flush's confirmation, a quarantine
 * command): conditional on its version and commit id; offsets, epoch, last applied record and
 * commit time stay (the checkpoint's age stays the age of its data). Outbox and state as given.
 */
export function commitInPlace(
  task: TaskId,
  checkpoint: Checkpoint,
  change: { delta: StateDelta; stateKeys: number; outbox: Outbox | null; base?: StoreBase },
): CommitRequest {
  return {
    task,
    expectedVersion: checkpoint.version,
    expectedCommitId: checkpoint.commitId,
    epoch: checkpoint.epoch,
    last: checkpoint.last,
    next: checkpoint.next,
    delta: change.delta,
    stateKeys: change.stateKeys,
    outbox: change.outbox,
    committedAt: checkpoint.committedAt,
    ...(change.base !== undefined && { base: change.base }),
  };
}
