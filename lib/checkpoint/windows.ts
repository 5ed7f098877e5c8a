import type { Json } from '../core/state-types';
import { type Timer, WINDOW_PREFIX } from '../state/reserved';
import type { RawState } from '../state/view';
import type { AnyWindowSpec, WindowSpec } from '../state/window-spec';
import type { SourceRecord } from './definition';
import type { TaskTime } from './event-time';
import type { TimerService } from './timers';

/** `ctx.windows.<name>`: adds a record's value to the windows of its event time. */
export interface WindowView<In extends Json = Json> {
  /**
   * Adds `value` (default: the record's value) under `key` (default: the record's key) to every
   * window of the record's event time that is still open, as of the record's watermark. Returns
   * false when none was: the record is late (counted, and sent to the window's lateSink).
   */
  add(record: SourceRecord<unknown, unknown>, key?: string, value?: In): boolean;
}

/** What a window sends to its sink for each result. */
export interface WindowResult<Acc extends Json = Json> {
  key: string;
  /** epoch ms, inclusive */
  start: number;
  /** epoch ms, exclusive */
  end: number;
  value: Acc;
  /** true once, when the window closes; false for updates (emitOnUpdate) */
  final: boolean;
}

export type WindowViews<W extends Record<string, AnyWindowSpec>> = {
  [N in keyof W]: WindowView<W[N] extends WindowSpec<infer In, infer _Acc> ? In : Json>;
};

function copy<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

/** The namespace of a window's close timers. */
export function windowNamespace(name: string): string {
  return `w:${name}`;
}

/** Reserved key counting a window's late records. */
export function lateKey(name: string): string {
  return `$late/${name}`;
}

interface Session {
  s: number;
  /** exclusive: last record + gap */
  e: number;
  a: Json;
}

type Emit = (sink: string, output: { key: string; value: Json }) => void;

/**
 * The windows of one transaction. A window's accumulator is one reserved state key, created with
 * an event-time timer at `end + graceMs`; when the watermark reaches it the timer emits the final
 * result and removes the key. A record is late for a window already closed as of the record's own
 * watermark (even if its timer has not fired yet), so results never depend on batch boundaries.
 */
export function openWindows(
  specs: Record<string, AnyWindowSpec>,
  deps: { raw: RawState; timers: TimerService; time: TaskTime; emit: Emit },
) {
  const { raw, timers, time, emit } = deps;
  const closeTimer = (name: string, key: string, end: number, spec: WindowSpec): Timer => ({
    kind: 'event',
    time: end + spec.options.graceMs,
    namespace: windowNamespace(name),
    key,
  });
  const result = (spec: WindowSpec, key: string, start: number, end: number, value: Json, final: boolean) =>
    emit(spec.options.sink, {
      key,
      value: { key, start, end, value, final } satisfies WindowResult as never,
    });

  function late(name: string, spec: WindowSpec, key: string, eventTime: number, value: Json): false {
    raw.set(lateKey(name), ((raw.get(lateKey(name)) as number | undefined) ?? 0) + 1);
    if (spec.options.lateSink) emit(spec.options.lateSink, { key, value: { key, time: eventTime, value } });
    return false;
  }

  function addFixed(name: string, spec: WindowSpec, key: string, value: Json, t: number, watermark: number) {
    let took = false;
    // The windows [s, s + size) holding t: s = the last start at or before t, back by advance.
    const last = Math.floor(t / spec.advanceMs) * spec.advanceMs;
    for (let s = last; s > t - spec.sizeMs; s -= spec.advanceMs) {
      const end = s + spec.sizeMs;
      if (end + spec.options.graceMs <= watermark) continue; // closed already
      const stateKey = `${WINDOW_PREFIX}${name}/${s}/${key}`;
      const before = raw.get(stateKey);
      // A copy: the user's add may mutate its accumulator, and the base state must not change.
      const acc = spec.add(copy(before), value);
      raw.set(stateKey, acc);
      if (before === undefined) timers.register(closeTimer(name, key, end, spec));
      if (spec.options.emitOnUpdate) result(spec, key, s, end, acc, false);
      took = true;
    }
    return took;
  }

  function addSession(
    name: string,
    spec: WindowSpec,
    key: string,
    value: Json,
    t: number,
    watermark: number,
  ) {
    const stateKey = `${WINDOW_PREFIX}${name}/${key}`;
    const sessions = structuredClone((raw.get(stateKey) as unknown as Session[] | undefined) ?? []);
    const grace = spec.options.graceMs;
    const open = (x: Session) => x.e + grace > watermark;
    // Flink's TimeWindow.intersects: touching windows merge.
    const joins = sessions.filter((x) => open(x) && x.s <= t + spec.gapMs && x.e >= t);
    const start = Math.min(t, ...joins.map((x) => x.s));
    const end = Math.max(t + spec.gapMs, ...joins.map((x) => x.e));
    if (end + grace <= watermark) return false;
    let acc: Json | undefined;
    for (const x of joins.sort((a, b) => a.s - b.s)) {
      acc = acc === undefined ? x.a : spec.merge!(acc, x.a);
      timers.remove(closeTimer(name, key, x.e, spec));
    }
    acc = spec.add(acc, value);
    timers.register(closeTimer(name, key, end, spec));
    const kept = sessions.filter((x) => !joins.includes(x));
    kept.push({ s: start, e: end, a: acc });
    kept.sort((a, b) => a.s - b.s);
    raw.set(stateKey, kept as unknown as Json);
    if (spec.options.emitOnUpdate) result(spec, key, start, end, acc, false);
    return true;
  }

  const views: Record<string, WindowView> = {};
  for (const [name, spec] of Object.entries(specs)) {
    views[name] = {
      add(record, key, value) {
        const k = key ?? record.key;
        if (typeof k !== 'string') {
          throw new TypeError(
            `windows.${name}.add(): the window key must be a string; the record's key is ${k === null ? 'null' : typeof k}: pass one`,
          );
        }
        const v = (value === undefined ? record.value : value) as Json;
        const at = time.at(record);
        const took =
          spec.kind === 'session'
            ? addSession(name, spec, k, v, at.eventTime, at.watermark)
            : addFixed(name, spec, k, v, at.eventTime, at.watermark);
        return took || late(name, spec, k, at.eventTime, v);
      },
    };
  }

  return {
    views,
    /** A close timer of window `name` fired: emit the final result and drop the window. */
    close(name: string, timer: Timer): void {
      const spec = specs[name];
      if (!spec) return; // a window removed from the definition: its timers fire into nothing
      const end = timer.time - spec.options.graceMs;
      if (spec.kind !== 'session') {
        const start = end - spec.sizeMs;
        const stateKey = `${WINDOW_PREFIX}${name}/${start}/${timer.key}`;
        const acc = raw.get(stateKey);
        if (acc === undefined) return;
        result(spec, timer.key, start, end, acc, true);
        raw.delete(stateKey);
        return;
      }
      const stateKey = `${WINDOW_PREFIX}${name}/${timer.key}`;
      const sessions = (raw.get(stateKey) as unknown as Session[] | undefined) ?? [];
      const session = sessions.find((x) => x.e === end);
      if (!session) return;
      result(spec, timer.key, session.s, session.e, session.a, true);
      const rest = sessions.filter((x) => x !== session);
      if (rest.length === 0) raw.delete(stateKey);
      else raw.set(stateKey, rest as unknown as Json);
    },
  };
}
