import type { AppliedRecord, Checkpoint, TaskId } from '../core/checkpoint';
import { CheckpointConflictError, ConfigError } from '../core/errors';
import { type FaultInjector, noFaults } from '../core/faults';
import {
  SAVEPOINT_FORMAT,
  type Savepoint,
  type SavepointPartition,
  validateSavepointName,
} from '../core/savepoint';
import type { Json, StateDelta, StateEntries } from '../core/state-types';
import { taskName } from '../core/task';
import type { Publishers } from '../sink/publisher';
import type { Store } from '../store/store';
import type { FunctionDefinition } from './definition';
import { publishOutbox } from './publish';

/**
 * What a rewind needs of the outputs' Kafka besides the publishers: the outbox markers (the
 * committed offsets of group `sluice.<namespace>.<fn>.outbox`, lib/sink/outbox-marker.ts) and
 * the fencing of each task's transactional id.
 */
export interface OutboxMarkers {
  /** Initialises the task's transactional id: a zombie's open transaction is aborted, the zombie fenced. */
  fence(task: TaskId): Promise<void>;
  read(task: TaskId): Promise<number | null>;
  set(task: TaskId, offset: number): Promise<void>;
}

export interface RewindDeps {
  store: Store;
  publishers: Publishers;
  markers: OutboxMarkers;
  namespace: string;
  now: () => number;
  faults?: FaultInjector;
}

/** Where a task starts again, and with what state. */
export interface RewindPosition {
  next: number;
  state: StateEntries;
  last: AppliedRecord | null;
}

/**
 * Where to rewind: a savepoint (its state and offsets); offsets with empty state (a time, the
 * earliest or latest offset: `sluice reset`); or the checkpoints as they are, which only brings
 * the markers and the fencing in line (after the table was restored to a point in time).
 */
export type RewindTarget =
  | { kind: 'savepoint'; savepoint: Savepoint }
  | { kind: 'offsets'; offsets: ReadonlyMap<number, number>; label: string }
  | { kind: 'checkpoints' };

export interface RewoundTask {
  partition: number;
  /** the checkpoint's next offset before (null: it had none) */
  from: number | null;
  to: number;
  stateKeys: number;
  /**
   * outputs in the old history's last outbox, published first unless the marker showed them
   * published already (0: no outbox)
   */
  flushedOutbox: number;
  epoch: number;
}

/**
 * Rewinds every given partition task of a function, each in four steps that are safe to repeat
 * (an interrupted rewind is finished by running it again):
 *
 * 1. publish the pending outbox of the current checkpoint, if any: the old history's outputs up
 *    to its checkpoint all reach Kafka once, whatever the new history does;
 * 2. fence the task's transactional id: a zombie's publish in flight is aborted;
 * 3. commit the target's state and next offset on the current checkpoint (conditional, like any
 *    commit; the delta is the difference) with the epoch bumped, no outbox and no last record:
 *    a batch from before the rewind can neither commit on it (the commit id changed) nor be
 *    re-run on it (lib/checkpoint/coordinator.ts);
 * 4. set the outbox marker to the new next offset, lowering it: every outbox of the new history
 *    lies past it, so each publishes (once), although the old history published the same range.
 *
 * The trigger must not deliver meanwhile (its consumer group moved by the caller afterwards):
 * the CLI checks that the group has no members.
 */
export async function rewindTasks(
  deps: RewindDeps,
  definition: FunctionDefinition,
  target: RewindTarget,
  partitions: number[],
): Promise<RewoundTask[]> {
  const topic = definition.source.topic;
  if (target.kind === 'savepoint') checkSavepointFits(target.savepoint, definition);
  const rewound: RewoundTask[] = [];
  for (const partition of partitions) {
    const task: TaskId = { fn: definition.name, topic, partition };
    const loaded = await deps.store.load(task);
    // Nothing to bring in line for a task that never committed.
    if (target.kind === 'checkpoints' && !loaded) continue;
    const current = loaded?.checkpoint ?? null;
    const position = positionOf(target, partition, loaded);

    const flushedOutbox = await publishPending(deps, definition, task, current);
    await deps.markers.fence(task);

    const epoch = (current?.epoch ?? 0) + 1;
    try {
      await deps.store.commit({
        task,
        expectedVersion: current?.version ?? 0,
        expectedCommitId: current?.commitId,
        epoch,
        last: position.last,
        next: position.next,
        delta: difference(loaded?.state ?? new Map(), position.state),
        stateKeys: position.state.size,
        outbox: null,
        committedAt: deps.now(),
        ...(loaded && { base: loaded.base }),
      });
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      throw new ConfigError(
        `${taskName(task)} committed a batch while it was being rewound: the trigger is still delivering. ` +
          'Stop it (disable the event source mapping, or stop sluice dev), then run the rewind again',
      );
    }
    await deps.markers.set(task, position.next);
    rewound.push({
      partition,
      from: current?.next ?? null,
      to: position.next,
      stateKeys: position.state.size,
      flushedOutbox,
      epoch,
    });
  }
  return rewound;
}

function positionOf(
  target: RewindTarget,
  partition: number,
  loaded: { checkpoint: Checkpoint; state: StateEntries } | null,
): RewindPosition {
  if (target.kind === 'checkpoints') {
    if (!loaded) return { next: 0, state: new Map(), last: null };
    return { next: loaded.checkpoint.next, state: loaded.state, last: loaded.checkpoint.last };
  }
  if (target.kind === 'offsets') {
    const next = target.offsets.get(partition);
    if (next === undefined) throw new ConfigError(`no ${target.label} offset for partition ${partition}`);
    return { next, state: new Map(), last: null };
  }
  const saved = target.savepoint.partitions.find((p) => p.partition === partition);
  if (!saved) {
    throw new ConfigError(
      `savepoint "${target.savepoint.name}" has no partition ${partition} (the topic had fewer partitions then): ` +
        `reset that partition instead (sluice reset ${target.savepoint.fn} --partition ${partition})`,
    );
  }
  return { next: saved.next, state: new Map(saved.state), last: saved.checkpoint?.last ?? null };
}

function checkSavepointFits(savepoint: Savepoint, definition: FunctionDefinition): void {
  if (savepoint.format !== SAVEPOINT_FORMAT) throw new ConfigError(`not a savepoint: ${savepoint.name}`);
  if (savepoint.fn !== definition.name || savepoint.topic !== definition.source.topic) {
    throw new ConfigError(
      `savepoint "${savepoint.name}" is of ${savepoint.fn} reading ${savepoint.topic}, not of ${definition.name} ` +
        `reading ${definition.source.topic}`,
    );
  }
}

/** The delta that turns `from` into `to`: only keys whose value differs. */
function difference(from: StateEntries, to: StateEntries): StateDelta {
  const set: Array<[string, Json]> = [];
  for (const [key, value] of to) {
    if (!from.has(key) || JSON.stringify(from.get(key)) !== JSON.stringify(value)) set.push([key, value]);
  }
  const del = [...from.keys()].filter((key) => !to.has(key));
  return { set, del };
}

export interface SavepointDeps {
  store: Store;
  publishers: Publishers;
  namespace: string;
  now: () => number;
  faults?: FaultInjector;
}

/** Per partition, what the trigger knows when the task has no checkpoint yet. */
export interface TriggerPosition {
  /** the trigger's committed consumer offset (null: none) */
  committed: number | null;
  /** where the trigger starts a partition it has no offset for (its starting position) */
  initial: number;
}

/**
 * Copies every partition task of a function into a savepoint (`sluice savepoint`). Each task's
 * copy is one committed version, read whole; its pending outbox, if any, is published first, so
 * everything up to the copy is in Kafka and a rewind has no outputs of its own to send. The
 * function may keep running meanwhile: tasks are independent, each copy is consistent.
 */
export async function takeSavepoint(
  deps: SavepointDeps,
  definition: FunctionDefinition,
  input: { name: string; triggerGroup: string | null; partitions: ReadonlyMap<number, TriggerPosition> },
): Promise<Savepoint> {
  validateSavepointName(input.name);
  const topic = definition.source.topic;
  const partitions: SavepointPartition[] = [];
  for (const [partition, trigger] of [...input.partitions].sort((a, b) => a[0] - b[0])) {
    const task: TaskId = { fn: definition.name, topic, partition };
    const loaded = await deps.store.load(task);
    const checkpoint = loaded?.checkpoint ?? null;
    await publishPending(deps, definition, task, checkpoint);
    partitions.push({
      partition,
      next: checkpoint?.next ?? trigger.committed ?? trigger.initial,
      checkpoint: checkpoint && {
        version: checkpoint.version,
        epoch: checkpoint.epoch,
        stateKeys: checkpoint.stateKeys,
        committedAt: checkpoint.committedAt,
        last: checkpoint.last,
      },
      state: [...(loaded?.state ?? [])],
      triggerOffset: trigger.committed,
    });
  }
  const savepoint: Savepoint = {
    format: SAVEPOINT_FORMAT,
    name: input.name,
    fn: definition.name,
    topic,
    namespace: deps.namespace,
    createdAt: deps.now(),
    triggerGroup: input.triggerGroup,
    partitions,
  };
  await deps.store.savepoints.put(savepoint);
  return savepoint;
}

/**
 * Publishes a checkpoint's outbox unless its marker shows it published (the publishers check):
 * what a savepoint copies and what a rewind leaves behind is then all in Kafka. Returns its size.
 */
async function publishPending(
  deps: Pick<SavepointDeps, 'publishers' | 'namespace' | 'faults'>,
  definition: FunctionDefinition,
  task: TaskId,
  checkpoint: Checkpoint | null,
): Promise<number> {
  const outbox = checkpoint?.outbox;
  if (!outbox || outbox.messages.length === 0) return 0;
  await publishOutbox(deps.publishers, {
    namespace: deps.namespace,
    task,
    outbox,
    sinks: definition.sinks,
    faults: deps.faults ?? noFaults,
    recovery: true,
  });
  return outbox.messages.length;
}
