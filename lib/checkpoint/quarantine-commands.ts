import { type Checkpoint, commitInPlace, type TaskId } from '../core/checkpoint';
import { CheckpointConflictError } from '../core/errors';
import { type Logger, silentLogger } from '../core/log';
import type { StateEntries } from '../core/state-types';
import { taskName } from '../core/task';
import type { Store } from '../store/store';
import {
  editQuarantine,
  type ParkedRecord,
  parkedCount,
  type QuarantineIndex,
  quarantineKeyOf,
  readParkedRecord,
  readQuarantineIndex,
} from './quarantine-state';

/** One quarantined record as the CLI and the harness show it. */
export interface QuarantinedRecord extends ParkedRecord {
  partition: number;
  /** `quarantined`: parked; `replaying`: released, the task's next batch runs it first */
  status: 'quarantined' | 'replaying';
}

/** The records in a task's quarantine, in offset order (per key: the order they run in). */
export async function listQuarantine(store: Store, task: TaskId): Promise<QuarantinedRecord[]> {
  const loaded = await store.load(task);
  if (!loaded) return [];
  const index = readQuarantineIndex(loaded.state);
  if (index === null) return [];
  const replaying = new Set(index.replay);
  const offsets = [...index.unkeyed, ...index.replay, ...Object.values(index.keys).flat()].sort(
    (a, b) => a - b,
  );
  return offsets.map((offset) => {
    const record = readParkedRecord(loaded.state, offset);
    if (!record)
      throw new Error(`${taskName(task)}: quarantine index names offset ${offset} but holds no record`);
    return {
      ...record,
      partition: task.partition,
      status: replaying.has(offset) ? 'replaying' : 'quarantined',
    };
  });
}

export interface QuarantineChange {
  action: 'replay' | 'drop';
  /** only the records of this key (its bytes); absent: every record in the quarantine */
  key?: Buffer | null;
}

export interface QuarantineChangeResult {
  /** offsets released for replay, or dropped */
  offsets: number[];
  /** the new checkpoint, or null when nothing matched (nothing was committed) */
  checkpoint: Checkpoint | null;
}

/** Attempts of a quarantine command when batches keep committing in between. */
const COMMAND_ATTEMPTS = 5;

/**
 * `sluice quarantine <fn> replay | drop`, as a step of the protocol: a commit conditional on
 * the checkpoint's version (a batch racing it wins, and the command runs again on the new
 * checkpoint) that changes only the quarantine's reserved state keys. Offsets, the outbox and
 * the commit time stay as they are, so a pending outbox is still published.
 *
 * - replay releases the records: their key stops being quarantined, and the task's next batch
 *   runs them, in order, before its own records (with the code deployed then). Records that fail
 *   again are parked again, with the records of their key behind them.
 * - drop discards them for good (logged); their key flows again from its next record.
 */
export async function changeQuarantine(
  store: Store,
  task: TaskId,
  change: QuarantineChange,
  log: Logger = silentLogger,
): Promise<QuarantineChangeResult> {
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.load(task);
    const index = loaded ? readQuarantineIndex(loaded.state) : null;
    if (!loaded || index === null) return { offsets: [], checkpoint: null };
    const edit = editQuarantine(loaded.state);
    const offsets = selected(loaded.state, index, change);
    if (offsets.length === 0) return { offsets: [], checkpoint: null };
    if (change.action === 'replay') edit.release(offsets);
    else for (const offset of offsets) edit.remove(offset);
    const { delta, addedKeys } = edit.delta();
    const { checkpoint } = loaded;
    try {
      const result = await store.commit(
        commitInPlace(task, checkpoint, {
          delta,
          stateKeys: checkpoint.stateKeys + addedKeys,
          // A pending outbox stays, to be published as before.
          outbox: checkpoint.outbox,
          base: loaded.base,
        }),
      );
      const fields = {
        task: taskName(task),
        offsets,
        left: parkedCount(edit.index),
        version: result.checkpoint.version,
      };
      if (change.action === 'drop') log.warn('quarantined records dropped for good', fields);
      else log.info('quarantined records released for replay by the next batch', fields);
      return { offsets, checkpoint: result.checkpoint };
    } catch (error) {
      if (!(error instanceof CheckpointConflictError) || attempt >= COMMAND_ATTEMPTS) throw error;
    }
  }
}

function selected(state: StateEntries, index: QuarantineIndex, change: QuarantineChange): number[] {
  const key = change.key === undefined ? undefined : quarantineKeyOf(change.key);
  const offsets =
    key === undefined
      ? [...index.unkeyed, ...Object.values(index.keys).flat()]
      : key === null
        ? [...index.unkeyed]
        : [...(index.keys[key] ?? [])];
  // A drop also discards records released for replay that have not run yet.
  if (change.action === 'drop') {
    for (const offset of index.replay) {
      if (key === undefined || readParkedRecord(state, offset)?.key === key) offsets.push(offset);
    }
  }
  return offsets.sort((a, b) => a - b);
}
