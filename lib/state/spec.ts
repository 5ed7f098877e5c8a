import type { Json } from '../core/state-types';

export interface ValueStateSpec<T extends Json = Json> {
  readonly kind: 'value';
  readonly initial: T | undefined;
}

export interface MapStateSpec<T extends Json = Json> {
  readonly kind: 'map';
  /** phantom, only for typing */
  readonly _value?: T;
}

export type StateSpec = ValueStateSpec | MapStateSpec;

/** `state.value(0)` should hold any number, not only 0. */
type Widen<T> = T extends number ? number : T extends string ? string : T extends boolean ? boolean : T;

/**
 * Declares keyed state for `defineFunction({ state: { ... } })`. State is per partition task
 * and survives invocations; values must be JSON.
 *
 * @example
 * state: { counts: state.map<number>(), total: state.value(0) }
 */
export const state = {
  value<T extends Json>(initial?: T): ValueStateSpec<Widen<T>> {
    return { kind: 'value', initial: initial as Widen<T> | undefined };
  },
  map<T extends Json>(): MapStateSpec<T> {
    return { kind: 'map' };
  },
};
