import type BTreeType from 'sorted-btree';
import * as sortedBtree from 'sorted-btree';
import {
  parseTimerKey,
  TIMER_VALUE,
  type Timer,
  type TimerKind,
  timerKey,
  timerRange,
} from '../state/reserved';
import { type TimerIndex, timerIndexOf } from '../state/timer-index';
import type { RawState } from '../state/view';

const BTree = ((sortedBtree as unknown as { default: { default?: unknown } }).default.default ??
  (sortedBtree as unknown as { default: unknown }).default) as typeof BTreeType;

/**
 * `ctx.timers`: Flink's TimerService, per key. A timer is identified by (kind, time, key):
 * registering it again keeps one. Event-time timers fire once the task's watermark reaches
 * their time; processing-time timers once the clock does (in a batch, or in the scheduled tick
 * when no record comes). Firing calls the function's `onTimer` in the same transaction as the
 * batch, so its state changes and outputs commit exactly once with it.
 */
export interface Timers {
  registerEventTime(key: string, time: number): void;
  registerProcessingTime(key: string, time: number): void;
  deleteEventTime(key: string, time: number): void;
  deleteProcessingTime(key: string, time: number): void;
}

/** A timer handed to `onTimer`. */
export interface FiredTimer {
  kind: TimerKind;
  key: string;
  /** the time it was registered for */
  time: number;
}

/** User timers' namespace; windows and TTL use their own (reserved.ts). */
export const USER_TIMERS = 'user';

/**
 * The timers of one transaction: registrations and deletions are writes of reserved state keys
 * (so a commit writes only the timers that changed); due timers are found in order from the
 * committed state's timer index plus the timers registered in this transaction.
 */
export function createTimerService(raw: RawState) {
  // Built on first use: a batch that fires nothing never scans the state for timers.
  let index: TimerIndex | undefined;
  /** timers registered in this transaction that the base index cannot show */
  const added = new BTree<string, true>();
  /** how far each kind's firing walked the base index */
  const cursors = new Map<TimerKind, string>();

  function register(timer: Timer): void {
    const key = timerKey(timer);
    raw.set(key, TIMER_VALUE);
    const cursor = cursors.get(timer.kind);
    if (!raw.base.has(key) || (cursor !== undefined && key <= cursor)) added.set(key, true);
  }
  function remove(timer: Timer): void {
    const key = timerKey(timer);
    raw.delete(key);
    added.delete(key);
  }

  const user = (kind: TimerKind, del: boolean) => (key: string, time: number) => {
    if (typeof key !== 'string') throw new TypeError(`timers: key must be a string, got ${typeof key}`);
    const timer = { kind, time, namespace: USER_TIMERS, key };
    if (del) remove(timer);
    else register(timer);
  };

  return {
    register,
    remove,
    api: {
      registerEventTime: user('event', false),
      registerProcessingTime: user('processing', false),
      deleteEventTime: user('event', true),
      deleteProcessingTime: user('processing', true),
    } satisfies Timers,
    /**
     * Fires the timers of `kind` due at `upTo`, in time order (then namespace, key), each
     * removed before its handler runs; timers the handlers register that are due fire too.
     * Returns how many fired.
     */
    async fireDue(
      kind: TimerKind,
      upTo: number,
      fire: (timer: Timer) => void | Promise<void>,
    ): Promise<number> {
      const { low, high } = timerRange(kind, upTo);
      let cursor = cursors.get(kind) ?? low;
      let fired = 0;
      for (;;) {
        index ??= timerIndexOf(raw.base);
        let fromBase = index.nextAfter(cursor, high);
        while (fromBase !== undefined && !raw.has(fromBase)) fromBase = index.nextAfter(fromBase, high);
        const fromAdded = added.nextHigherKey(low);
        const pendingDue = fromAdded !== undefined && fromAdded < high ? fromAdded : undefined;
        const next =
          fromBase === undefined
            ? pendingDue
            : pendingDue === undefined || fromBase < pendingDue
              ? fromBase
              : pendingDue;
        if (next === undefined) break;
        if (next === fromBase) {
          cursor = fromBase;
          cursors.set(kind, cursor);
        }
        raw.delete(next);
        added.delete(next);
        fired += 1;
        await fire(parseTimerKey(next));
      }
      return fired;
    },
  };
}

export type TimerService = ReturnType<typeof createTimerService>;
