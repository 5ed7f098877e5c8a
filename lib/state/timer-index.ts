import type BTreeType from 'sorted-btree';
import * as sortedBtree from 'sorted-btree';
import type { StateEntries } from '../core/state-types';
import { TIMER_PREFIX } from './reserved';

// sorted-btree is CommonJS with `exports.default`: ESM loaders differ on what a default import is.
const BTree = ((sortedBtree as unknown as { default: { default?: unknown } }).default.default ??
  (sortedBtree as unknown as { default: unknown }).default) as typeof BTreeType;

/**
 * Timer keys of a task's materialised state, in key (= time) order: the ordered view a hash map
 * lacks. Built once per state map (a load materialises all state anyway) and kept current by the
 * state transaction's `applyTo`, the only way the coordinator changes a warm state map; so finding
 * due timers costs O(log n + due) and a commit writes only the timer keys that changed.
 */
export interface TimerIndex {
  /** The first timer key strictly above `after`, if below `high`. */
  nextAfter(after: string, high: string): string | undefined;
  readonly size: number;
}

const indexes = new WeakMap<StateEntries, BTreeType<string, true>>();

export function timerIndexOf(state: StateEntries): TimerIndex {
  let tree = indexes.get(state);
  if (!tree) {
    tree = new BTree<string, true>();
    for (const key of state.keys()) if (key.startsWith(TIMER_PREFIX)) tree.set(key, true);
    indexes.set(state, tree);
  }
  const built = tree;
  return {
    nextAfter(after, high) {
      const next = built.nextHigherKey(after);
      return next !== undefined && next < high ? next : undefined;
    },
    get size() {
      return built.size;
    },
  };
}

/** Keeps a state map's index (if one was built) in step with a change to a timer key. */
export function noteTimerChange(state: StateEntries, key: string, present: boolean): void {
  const tree = indexes.get(state);
  if (!tree) return;
  if (present) tree.set(key, true);
  else tree.delete(key);
}
