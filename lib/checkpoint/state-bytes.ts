import type { StateDelta, StateEntries } from '../core/state-types';

/**
 * The size of a task's state for metrics and the live page: UTF-8 bytes of its keys and
 * JSON-encoded values, about what a store keeps (the aws store's inline item or S3 snapshot
 * adds a few bytes of framing per key). Counted once per warm load, then kept up to date from
 * each commit's delta, so a commit costs O(keys changed), never O(state).
 */
export function stateBytesOf(state: StateEntries): number {
  let bytes = 0;
  for (const [key, value] of state) bytes += entryBytes(key, value);
  return bytes;
}

/** `before` (the size of `base`) after `delta` is applied to `base`. */
export function stateBytesAfter(before: number, base: StateEntries, delta: StateDelta): number {
  let bytes = before;
  for (const [key, value] of delta.set) {
    const old = base.get(key);
    if (old !== undefined) bytes -= entryBytes(key, old);
    bytes += entryBytes(key, value);
  }
  for (const key of delta.del) {
    const old = base.get(key);
    if (old !== undefined) bytes -= entryBytes(key, old);
  }
  return bytes;
}

function entryBytes(key: string, value: unknown): number {
  return Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value) ?? 'null');
}
