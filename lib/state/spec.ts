import type { Json } from '../core/state-types';

/**
 * Time to live: an entry not written for `ttlMs` of processing time reads as absent, and a
 * processing-time timer removes it (in a batch or the scheduled tick, whichever runs first
 * after it expires; the removal is a changed key of that commit). Writing an entry restarts
 * its time (Flink's `OnCreateAndWrite`); expired entries are never returned (`NeverReturnExpired`).
 */
export interface TtlOptions {
  ttlMs?: number;
}

export interface ValueStateSpec<T extends Json = Json> {
  readonly kind: 'value';
  readonly initial: T | undefined;
  readonly ttlMs?: number;
}

export interface MapStateSpec<T extends Json = Json> {
  readonly kind: 'map';
  readonly ttlMs?: number;
  /** phantom, only for typing */
  readonly _value?: T;
}

export interface ListStateSpec<T extends Json = Json> {
  readonly kind: 'list';
  /** per key: the whole list expires `ttlMs` after its last write */
  readonly ttlMs?: number;
  /** phantom, only for typing */
  readonly _value?: T;
}

export type StateSpec = ValueStateSpec | MapStateSpec | ListStateSpec;

/** `state.value(0)` should hold any number, not only 0. */
type Widen<T> = T extends number ? number : T extends string ? string : T extends boolean ? boolean : T;

function ttlOf(options: TtlOptions | undefined): { ttlMs?: number } {
  if (options?.ttlMs === undefined) return {};
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) {
    throw new RangeError(`state ttlMs must be a positive integer of milliseconds, got ${options.ttlMs}`);
  }
  return { ttlMs: options.ttlMs };
}

/**
 * Declares keyed state for `defineFunction({ state: { ... } })`. State is per partition task
 * and survives invocations; values must be JSON.
 *
 * @example
 * state: {
 *   counts: state.map<number>(),
 *   total: state.value(0),
 *   recent: state.list<string>({ ttlMs: 3_600_000 }),
 * }
 */
export const state = {
  value<T extends Json>(initial?: T, options?: TtlOptions): ValueStateSpec<Widen<T>> {
    return { kind: 'value', initial: initial as Widen<T> | undefined, ...ttlOf(options) };
  },
  map<T extends Json>(options?: TtlOptions): MapStateSpec<T> {
    return { kind: 'map', ...ttlOf(options) };
  },
  /** A list per key, like a map whose values are lists (`name/<key>` holds the JSON array). */
  list<T extends Json>(options?: TtlOptions): ListStateSpec<T> {
    return { kind: 'list', ...ttlOf(options) };
  },
};
