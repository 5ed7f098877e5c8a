import type { Json, StateDelta, StateEntries } from '../core/state-types';

/**
 * Wire encodings of state, shared by every store driver. JSON keeps checkpoints readable with
 * standard tools (`aws dynamodb get-item`, `cat`); entries are sorted so equal state encodes to
 * equal bytes.
 */
export interface SnapshotDocument {
  format: 'sluice.snapshot.v1';
  entries: Array<[string, Json]>;
}

export interface DeltaDocument {
  format: 'sluice.delta.v1';
  set: Array<[string, Json]>;
  del: string[];
}

export function encodeSnapshot(state: StateEntries): string {
  const entries = [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ format: 'sluice.snapshot.v1', entries } satisfies SnapshotDocument);
}

export function decodeSnapshot(text: string): StateEntries {
  const doc = JSON.parse(text) as SnapshotDocument;
  if (doc.format !== 'sluice.snapshot.v1')
    throw new Error(`not a Sluice snapshot: format ${String(doc.format)}`);
  return new Map(doc.entries);
}

export function encodeDelta(delta: StateDelta): string {
  return JSON.stringify({
    format: 'sluice.delta.v1',
    set: delta.set,
    del: delta.del,
  } satisfies DeltaDocument);
}

export function decodeDelta(text: string): StateDelta {
  const doc = JSON.parse(text) as DeltaDocument;
  if (doc.format !== 'sluice.delta.v1') throw new Error(`not a Sluice delta: format ${String(doc.format)}`);
  return { set: doc.set, del: doc.del };
}

/** Applies a delta in place: deletions first, then writes (a batch never does both to one key). */
export function applyDelta(state: StateEntries, delta: StateDelta): StateEntries {
  for (const key of delta.del) state.delete(key);
  for (const [key, value] of delta.set) state.set(key, value);
  return state;
}

/** A deletion in `mergeDeltas`'s map of last operations (no JSON value is a symbol). */
const DELETED: unique symbol = Symbol('deleted');

/**
 * One delta with the effect of applying `deltas` in order, whatever the state they apply to:
 * per key, the last operation wins (a key set then deleted is a deletion, since the state below
 * may hold it; deleted then set is a write). The result never both deletes and writes a key, so
 * `applyDelta` of it equals `applyDelta` of each in turn. Values are shared, not copied.
 */
export function mergeDeltas(deltas: readonly StateDelta[]): StateDelta {
  const last = new Map<string, Json | typeof DELETED>();
  for (const delta of deltas) {
    // The order applyDelta uses within one delta: deletions, then writes.
    for (const key of delta.del) last.set(key, DELETED);
    for (const [key, value] of delta.set) last.set(key, value);
  }
  const merged: StateDelta = { set: [], del: [] };
  for (const [key, value] of last) {
    if (value === DELETED) merged.del.push(key);
    else merged.set.push([key, value]);
  }
  return merged;
}

export function isEmptyDelta(delta: StateDelta): boolean {
  return delta.set.length === 0 && delta.del.length === 0;
}
