/** Values kept in state and in checkpoints: plain JSON, so every store can hold them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * All state of a partition task, flattened to one key space: a value state `name` is the key
 * `name`; a map state entry is `name/entryKey`. State names cannot contain '/'.
 */
export type StateEntries = Map<string, Json>;

/** What a commit changes: only the keys written or deleted by the batch. */
export interface StateDelta {
  set: Array<[string, Json]>;
  del: string[];
}
