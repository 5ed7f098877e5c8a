import type { Json, StateDelta, StateEntries } from '../core/state-types';
import type { RawRecord, SchemaMetadata, TimestampType } from '../event/types';

/**
 * A task's quarantine lives in its state under reserved keys (not identifiers, so no state of
 * the function can take them), so it rides the state's delta, commit and stores unchanged:
 *
 * - `~quarantine`: the index (QuarantineIndex), absent when nothing is quarantined. A batch reads
 *   this one key to know whether any record must be parked: nothing else costs when nothing failed.
 * - `~quarantine/<offset>`: one parked record (ParkedRecord), bytes as they came.
 */
export const QUARANTINE_INDEX_KEY = '~quarantine';
const RECORD_PREFIX = '~quarantine/';

export interface QuarantineIndex {
  /** quarantined keys (base64 of the key's bytes) -> offsets of their parked records, in order */
  keys: Record<string, number[]>;
  /** parked records without a key: each quarantines only itself */
  unkeyed: number[];
  /**
   * Offsets released by `sluice quarantine replay`, in order: the next batch of the task runs them
   * before its own records (their keys are no longer quarantined, so they run first, in order).
   */
  replay: number[];
}

/** A quarantined record: everything needed to run it again or publish it. */
export interface ParkedRecord {
  offset: number;
  timestamp: number;
  timestampType?: TimestampType;
  /** base64, null for no key */
  key: string | null;
  /** base64, null for a tombstone */
  value: string | null;
  /** header values base64 */
  headers: Array<[string, string]>;
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
  /** why: the error of this record, or of the earlier record of its key it is parked behind */
  error: string;
  /** `failed`: this record failed; `behind`: an earlier record of its key did */
  reason: 'failed' | 'behind';
}

export function recordStateKey(offset: number): string {
  return `${RECORD_PREFIX}${offset}`;
}

export function isQuarantineKey(stateKey: string): boolean {
  return stateKey === QUARANTINE_INDEX_KEY || stateKey.startsWith(RECORD_PREFIX);
}

/** The quarantine index of a state, or null when nothing is quarantined (the common case). */
export function readQuarantineIndex(state: StateEntries): QuarantineIndex | null {
  const index = state.get(QUARANTINE_INDEX_KEY);
  return index === undefined || index === null ? null : (index as unknown as QuarantineIndex);
}

/** The records of a state's quarantine by offset (parked and released for replay). */
export function readParkedRecord(state: StateEntries, offset: number): ParkedRecord | undefined {
  return state.get(recordStateKey(offset)) as unknown as ParkedRecord | undefined;
}

/** How a record's key is named in the index: base64 of its bytes; null keys quarantine nothing else. */
export function quarantineKeyOf(key: Buffer | string | null): string | null {
  if (key === null) return null;
  return typeof key === 'string' ? key : key.toString('base64');
}

export function parkedCount(index: QuarantineIndex | null): number {
  if (index === null) return 0;
  let n = index.unkeyed.length + index.replay.length;
  for (const offsets of Object.values(index.keys)) n += offsets.length;
  return n;
}

export function toParkedRecord(raw: RawRecord, error: string, reason: ParkedRecord['reason']): ParkedRecord {
  return {
    offset: raw.offset,
    timestamp: raw.timestamp,
    ...(raw.timestampType !== undefined && { timestampType: raw.timestampType }),
    key: raw.key === null ? null : raw.key.toString('base64'),
    value: raw.value === null ? null : raw.value.toString('base64'),
    headers: raw.headers.map((h): [string, string] => [h.key, h.value.toString('base64')]),
    ...(raw.keySchemaMetadata !== undefined && { keySchemaMetadata: raw.keySchemaMetadata }),
    ...(raw.valueSchemaMetadata !== undefined && { valueSchemaMetadata: raw.valueSchemaMetadata }),
    error,
    reason,
  };
}

export function fromParkedRecord(parked: ParkedRecord, topic: string, partition: number): RawRecord {
  return {
    topic,
    partition,
    offset: parked.offset,
    timestamp: parked.timestamp,
    ...(parked.timestampType !== undefined && { timestampType: parked.timestampType }),
    key: parked.key === null ? null : Buffer.from(parked.key, 'base64'),
    value: parked.value === null ? null : Buffer.from(parked.value, 'base64'),
    headers: parked.headers.map(([key, value]) => ({ key, value: Buffer.from(value, 'base64') })),
    ...(parked.keySchemaMetadata !== undefined && { keySchemaMetadata: parked.keySchemaMetadata }),
    ...(parked.valueSchemaMetadata !== undefined && { valueSchemaMetadata: parked.valueSchemaMetadata }),
  };
}

/**
 * Changes to a quarantine, built over the committed state and turned into one state delta for
 * the commit. Keeps the index and the record keys consistent; never touches other state.
 */
export function editQuarantine(base: StateEntries) {
  const before = readQuarantineIndex(base);
  const index: QuarantineIndex = before
    ? { keys: { ...before.keys }, unkeyed: [...before.unkeyed], replay: [...before.replay] }
    : { keys: {}, unkeyed: [], replay: [] };
  const set = new Map<string, Json>();
  const del = new Set<string>();
  let changed = false;

  return {
    index,
    isQuarantined(key: string | null): boolean {
      return key !== null && index.keys[key] !== undefined;
    },
    park(record: ParkedRecord): void {
      const key = record.key;
      if (key === null) index.unkeyed = [...index.unkeyed, record.offset];
      else index.keys[key] = [...(index.keys[key] ?? []), record.offset];
      set.set(recordStateKey(record.offset), record as unknown as Json);
      del.delete(recordStateKey(record.offset));
      changed = true;
    },
    /** A parked record leaves the quarantine (applied after a replay, or dropped). */
    remove(offset: number): void {
      index.replay = index.replay.filter((o) => o !== offset);
      index.unkeyed = index.unkeyed.filter((o) => o !== offset);
      for (const [key, offsets] of Object.entries(index.keys)) {
        if (!offsets.includes(offset)) continue;
        const rest = offsets.filter((o) => o !== offset);
        if (rest.length > 0) index.keys[key] = rest;
        else delete index.keys[key];
      }
      set.delete(recordStateKey(offset));
      if (base.has(recordStateKey(offset))) del.add(recordStateKey(offset));
      changed = true;
    },
    /** Releases parked records for replay: their keys stop being quarantined. */
    release(offsets: number[]): void {
      const released = new Set(offsets);
      index.unkeyed = index.unkeyed.filter((o) => !released.has(o));
      for (const [key, list] of Object.entries(index.keys)) {
        const rest = list.filter((o) => !released.has(o));
        if (rest.length > 0) index.keys[key] = rest;
        else delete index.keys[key];
      }
      index.replay = [...new Set([...index.replay, ...offsets])].sort((a, b) => a - b);
      changed = true;
    },
    get changed() {
      return changed;
    },
    /** The state delta of these changes and how many keys it adds (negative: removes). */
    delta(): { delta: StateDelta; addedKeys: number } {
      const delta: StateDelta = { set: [...set], del: [...del] };
      const empty = parkedCount(index) === 0;
      if (!changed) return { delta: { set: [], del: [] }, addedKeys: 0 };
      if (empty) {
        if (before) delta.del.push(QUARANTINE_INDEX_KEY);
      } else {
        delta.set.push([QUARANTINE_INDEX_KEY, index as unknown as Json]);
      }
      let addedKeys = 0;
      for (const [key] of delta.set) if (!base.has(key)) addedKeys++;
      for (const key of delta.del) if (base.has(key)) addedKeys--;
      return { delta, addedKeys };
    },
  };
}

export type QuarantineEdit = ReturnType<typeof editQuarantine>;
