import type { Json } from '../core/state-types';

/**
 * State keys Sluice keeps for itself beside the user's: stream time, timers, window contents.
 * They ride the same delta commit as user state (so they cost what changed, and every store
 * format holds them unchanged). User state names are identifiers, so a key starting with `$`
 * can never be one of theirs.
 */
export const RESERVED = '$';

/** Stream time of the task (checkpoint/event-time.ts). */
export const TIME_KEY = '$time';

/** Every timer is one key: `$timer/<e|p>/<time, 16 digits>/<namespace>/<key>`. */
export const TIMER_PREFIX = '$timer/';

/** Window contents (checkpoint/windows.ts): `$window/<name>/...`. */
export const WINDOW_PREFIX = '$window/';

export type TimerKind = 'event' | 'processing';

export interface Timer {
  kind: TimerKind;
  /** epoch ms: event time (fires when the watermark reaches it) or processing time */
  time: number;
  /** who owns it: `user` (ctx.timers), `w:<window>` (a window's close), `ttl:<state>` (expiry) */
  namespace: string;
  key: string;
}

/** Widest time a timer key holds (Number.MAX_SAFE_INTEGER has 16 digits). */
const TIME_DIGITS = 16;

export function isReserved(key: string): boolean {
  return key.startsWith(RESERVED);
}

export function checkTimerTime(time: number, what: string): void {
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new RangeError(`${what}: timer time must be a non-negative integer of epoch ms, got ${time}`);
  }
}

/**
 * The state key of a timer. Times are zero-padded so keys sort by time: the timer index
 * (timer-index.ts) is ordered by key, and equal (kind, time, namespace, key) is one timer
 * (registering it twice keeps one, as in Flink).
 */
export function timerKey(timer: Timer): string {
  checkTimerTime(timer.time, `timer "${timer.key}"`);
  return `${TIMER_PREFIX}${timer.kind === 'event' ? 'e' : 'p'}/${String(timer.time).padStart(TIME_DIGITS, '0')}/${timer.namespace}/${timer.key}`;
}

/** The lowest key of a kind's timers and the first key past those due at `time`. */
export function timerRange(kind: TimerKind, upTo: number): { low: string; high: string } {
  const k = kind === 'event' ? 'e' : 'p';
  const through = Math.max(-1, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(upTo)));
  return {
    low: `${TIMER_PREFIX}${k}/`,
    // Keys of time `through` sort below the first key of time `through + 1`.
    high:
      through < 0
        ? `${TIMER_PREFIX}${k}/`
        : `${TIMER_PREFIX}${k}/${String(through + 1).padStart(TIME_DIGITS, '0')}/`,
  };
}

export function parseTimerKey(key: string): Timer {
  const rest = key.slice(TIMER_PREFIX.length);
  const kind = rest[0] === 'e' ? 'event' : 'processing';
  const time = Number(rest.slice(2, 2 + TIME_DIGITS));
  const tail = rest.slice(3 + TIME_DIGITS);
  const slash = tail.indexOf('/');
  return { kind, time, namespace: tail.slice(0, slash), key: tail.slice(slash + 1) };
}

/** A timer's value: present means registered. */
export const TIMER_VALUE: Json = 1;
