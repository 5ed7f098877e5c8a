import type { Checkpoint } from './checkpoint';
import { ConfigError } from './errors';
import type { Json } from './state-types';

export const SAVEPOINT_FORMAT = 'sluice.savepoint.v1';

/** One partition task in a savepoint: where it starts again, with what state. */
export interface SavepointPartition {
  partition: number;
  /**
   * The offset the task applies next after a rewind to this savepoint: its checkpoint's next
   * offset, or for a task never committed, where the trigger would have started it.
   */
  next: number;
  /** what the checkpoint was (null: the task had none); its outbox was published before the copy */
  checkpoint: Pick<Checkpoint, 'version' | 'epoch' | 'stateKeys' | 'committedAt' | 'last'> | null;
  /** the materialised state, as flattened entries */
  state: Array<[string, Json]>;
  /** the trigger's consumer group offset at the time (null: none committed, or not known) */
  triggerOffset: number | null;
}

/**
 * A consistent copy of every partition task of a function (`sluice savepoint`): per task, the
 * state and next offset of one committed version, every output up to it published. Rewinding to
 * it (`sluice rewind --to <name>`) restores all of them and moves the trigger and the outbox
 * markers to match.
 */
export interface Savepoint {
  format: typeof SAVEPOINT_FORMAT;
  name: string;
  fn: string;
  topic: string;
  namespace: string;
  /** epoch ms */
  createdAt: number;
  /** the trigger's consumer group whose offsets were recorded (null: not known) */
  triggerGroup: string | null;
  partitions: SavepointPartition[];
}

/** What `sluice savepoint --list` shows of a savepoint without reading its state. */
export interface SavepointSummary {
  name: string;
  fn: string;
  topic: string;
  createdAt: number;
  partitions: number;
  stateKeys: number;
}

/** Savepoints of a store's deployment, kept beside its checkpoints. */
export interface SavepointStore {
  /** Writes a savepoint; fails with a ConfigError if one of that name exists (never overwritten). */
  put(savepoint: Savepoint): Promise<void>;
  get(fn: string, name: string): Promise<Savepoint | null>;
  /** Newest first. */
  list(fn: string): Promise<SavepointSummary[]>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateSavepointName(name: string): string {
  if (!NAME.test(name)) {
    throw new ConfigError(
      `savepoint name must be 1-128 letters, digits, '_', '.' or '-' starting with a letter or digit, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** A name for a savepoint taken without one: its time, sortable (`2026-12-01T16-40-02-123Z`). */
export function defaultSavepointName(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

export function summarize(savepoint: Savepoint): SavepointSummary {
  return {
    name: savepoint.name,
    fn: savepoint.fn,
    topic: savepoint.topic,
    createdAt: savepoint.createdAt,
    partitions: savepoint.partitions.length,
    stateKeys: savepoint.partitions.reduce((n, p) => n + p.state.length, 0),
  };
}

export function savepointExists(fn: string, name: string): ConfigError {
  return new ConfigError(
    `a savepoint "${name}" of ${fn} exists already: savepoints are never overwritten; choose another --name`,
  );
}

/** Parses a stored savepoint, saying what is wrong with one that is not. */
export function parseSavepoint(text: string, where: string): Savepoint {
  const savepoint = JSON.parse(text) as Savepoint;
  if (savepoint?.format !== SAVEPOINT_FORMAT || !Array.isArray(savepoint.partitions)) {
    throw new ConfigError(`${where} is not a Sluice savepoint (format ${SAVEPOINT_FORMAT})`);
  }
  return savepoint;
}
