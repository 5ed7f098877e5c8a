import type { StateDelta, StateEntries } from '../core/state-types';

/**
 * The size of a task's state for metrics and the live page: UTF-8 bytes of its keys and
 * JSON-encoded values (escapes inside strings aside), about what a store keeps (the aws store's inline item or S3 snapshot
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
  return Buffer.byteLength(key) + valueBytes(value);
}

/** JSON size of a value; scalars (most state: counters, flags, names) without serialising them. */
function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return String(value).length;
    case 'boolean':
      return value ? 4 : 5;
    case 'string':
      // the quotes; escaped characters (quotes, control characters) count one byte short each
      return Buffer.byteLength(value) + 2;
    default:
      return Buffer.byteLength(JSON.stringify(value) ?? 'null');
  }
}
