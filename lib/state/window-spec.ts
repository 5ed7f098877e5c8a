import type { Json } from '../core/state-types';

/**
 * Declares an event-time window for `defineFunction({ windows: { ... } })`: how records are
 * assigned to windows, how a window's contents are folded, and where results go. Windows live in
 * reserved state and close with event-time timers (checkpoint/windows.ts).
 */
export interface WindowOptions {
  /** the sink (a name in `sinks`) that receives `{ key, start, end, value, final }` per result */
  sink: string;
  /**
   * Allowed lateness (ms) on top of the function's `time.graceMs`: a window [start, end) closes
   * when the watermark reaches `end + graceMs`. Default 0.
   */
  graceMs?: number;
  /** also emit the running value on every update (`final: false`); default false */
  emitOnUpdate?: boolean;
  /**
   * A sink for late records (no window of theirs was still open): each gets
   * `{ key, time, value }`. Late records are also counted in the reserved state key
   * `$late/<window>`. Default: counted and logged only.
   */
  lateSink?: string;
}

export type WindowKind = 'tumbling' | 'hopping' | 'session';

export interface WindowSpec<In extends Json = Json, Acc extends Json = Json> {
  readonly kind: WindowKind;
  readonly sizeMs: number;
  /** hopping: how far consecutive windows start apart (tumbling: sizeMs) */
  readonly advanceMs: number;
  /** session: inactivity gap */
  readonly gapMs: number;
  readonly options: Required<Pick<WindowOptions, 'sink' | 'graceMs' | 'emitOnUpdate'>> &
    Pick<WindowOptions, 'lateSink'>;
  /** folds one value into the window's accumulator (undefined: the window's first value) */
  readonly add: (acc: Acc | undefined, value: In) => Acc;
  /** merges two sessions' accumulators (sessions only) */
  readonly merge?: (a: Acc, b: Acc) => Acc;
  /** phantom, only for typing */
  readonly _in?: In;
}

export interface Aggregation<In extends Json, Acc extends Json> {
  initial: Acc;
  add(acc: Acc, value: In): Acc;
  /** merges two accumulators: required for session windows, which merge */
  merge?(a: Acc, b: Acc): Acc;
}

export interface WindowBuilder {
  /** Reduces values of one type (sum, max, ...); sessions merge with the same function. */
  reduce<T extends Json>(reduce: (a: T, b: T) => T): WindowSpec<T, T>;
  /** Folds values into an accumulator that starts at `initial`. */
  aggregate<In extends Json, Acc extends Json>(aggregation: Aggregation<In, Acc>): WindowSpec<In, Acc>;
  /** Counts the values added (any value). */
  count(): WindowSpec<Json, number>;
}

function positive(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new RangeError(`${what} must be a positive integer of milliseconds, got ${String(value)}`);
  }
  return value as number;
}

function builder(
  kind: WindowKind,
  sizes: { sizeMs: number; advanceMs: number; gapMs: number },
  options: WindowOptions,
): WindowBuilder {
  if (typeof options?.sink !== 'string') {
    throw new TypeError(`window.${kind}(): sink is required: the name of the sink that receives results`);
  }
  const graceMs = options.graceMs ?? 0;
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
    throw new RangeError(`window.${kind}(): graceMs must be a non-negative integer, got ${String(graceMs)}`);
  }
  const resolved = {
    sink: options.sink,
    graceMs,
    emitOnUpdate: options.emitOnUpdate ?? false,
    ...(options.lateSink !== undefined && { lateSink: options.lateSink }),
  };
  const make = <In extends Json, Acc extends Json>(
    add: (acc: Acc | undefined, value: In) => Acc,
    merge: ((a: Acc, b: Acc) => Acc) | undefined,
  ): WindowSpec<In, Acc> => {
    if (kind === 'session' && merge === undefined) {
      throw new TypeError(
        'window.session(...).aggregate(): sessions merge when a record bridges them: give merge(a, b)',
      );
    }
    return { kind, ...sizes, options: resolved, add, ...(merge && { merge }) };
  };
  return {
    reduce: <T extends Json>(reduce: (a: T, b: T) => T) =>
      make<T, T>((acc, value) => (acc === undefined ? value : reduce(acc, value)), reduce),
    aggregate: <In extends Json, Acc extends Json>(a: Aggregation<In, Acc>) =>
      make<In, Acc>(
        (acc, value) => a.add(acc === undefined ? structuredClone(a.initial) : acc, value),
        a.merge?.bind(a),
      ),
    count: () =>
      make<Json, number>(
        (acc) => (acc ?? 0) + 1,
        (a, b) => a + b,
      ),
  };
}

/**
 * @example
 * windows: {
 *   perWord: window.tumbling({ sizeMs: 10_000, sink: 'windowed' }).count(),
 *   sums: window.hopping({ sizeMs: 60_000, advanceMs: 10_000, sink: 'sums' }).reduce((a: number, b) => a + b),
 *   visits: window.session({ gapMs: 30_000, sink: 'visits', lateSink: 'late' }).count(),
 * }
 */
export const window = {
  /** Fixed windows [k·size, (k+1)·size): each record is in exactly one. */
  tumbling(options: WindowOptions & { sizeMs: number }): WindowBuilder {
    const size = positive(options?.sizeMs, 'window.tumbling(): sizeMs');
    return builder('tumbling', { sizeMs: size, advanceMs: size, gapMs: 0 }, options);
  },
  /** Windows of sizeMs starting every advanceMs: a record is in sizeMs / advanceMs of them. */
  hopping(options: WindowOptions & { sizeMs: number; advanceMs: number }): WindowBuilder {
    const size = positive(options?.sizeMs, 'window.hopping(): sizeMs');
    const advance = positive(options?.advanceMs, 'window.hopping(): advanceMs');
    if (advance > size) throw new RangeError('window.hopping(): advanceMs must not exceed sizeMs');
    return builder('hopping', { sizeMs: size, advanceMs: advance, gapMs: 0 }, options);
  },
  /**
   * Per-key sessions: a record opens [t, t + gapMs); windows that touch merge (Flink's session
   * windows), so a session ends gapMs after its last record.
   */
  session(options: WindowOptions & { gapMs: number }): WindowBuilder {
    const gap = positive(options?.gapMs, 'window.session(): gapMs');
    return builder('session', { sizeMs: 0, advanceMs: 0, gapMs: gap }, options);
  },
};

/** A window of any value and accumulator types (a definition holds several). */
// biome-ignore lint/suspicious/noExplicitAny: function parameters are contravariant; see AnySink
export type AnyWindowSpec = WindowSpec<any, any>;
