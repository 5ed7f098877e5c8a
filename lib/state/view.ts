import type { Json, StateDelta, StateEntries } from '../core/state-types';
import type { MapStateSpec, StateSpec, ValueStateSpec } from './spec';

/** A single value, read and written synchronously inside `process()`. */
export interface ValueState<T extends Json> {
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}

/** A map from string keys to values, read and written synchronously inside `process()`. */
export interface MapState<T extends Json> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  set(key: string, value: T): void;
  delete(key: string): boolean;
  /** Iterates every entry: O(total state), so avoid it on hot paths. */
  entries(): IterableIterator<[string, T]>;
  keys(): IterableIterator<string>;
  readonly size: number;
}

export type StateViews<S extends Record<string, StateSpec>> = {
  [K in keyof S]: S[K] extends ValueStateSpec<infer T>
    ? ValueState<T>
    : S[K] extends MapStateSpec<infer T>
      ? MapState<T>
      : never;
};

const DELETED = Symbol('deleted');
type Pending = Json | typeof DELETED;

export interface StateTransaction<S extends Record<string, StateSpec>> {
  views: StateViews<S>;
  /** Only the keys this batch changed. */
  delta(): StateDelta;
  /** Number of keys once the delta is applied. */
  sizeAfter(): number;
  /** Writes the changes into the base entries (after a successful commit). */
  applyTo(base: StateEntries): void;
  /**
   * Ends the views' life: any later read or write throws `error()`. Called when process()
   * returns, so a write a missing `await` let run late fails loudly instead of vanishing.
   */
  close(error: (what: string) => Error): void;
}

/**
 * Opens a transaction over the committed state of a partition task: reads fall through to
 * the base, writes stay in an overlay, so a failed batch leaves the base untouched and a
 * committed one writes only what changed. Objects are copied in and out so mutating a value
 * without `set` cannot change state behind the delta's back.
 */
export function openStateTransaction<S extends Record<string, StateSpec>>(
  specs: S,
  base: StateEntries,
): StateTransaction<S> {
  const pending = new Map<string, Pending>();
  let closed: ((what: string) => Error) | null = null;
  const guard = (what: string, key: string) => {
    if (closed) throw closed(`state ${what} of "${key}"`);
  };
  const read = (key: string): Json | undefined => {
    guard('read', key);
    const value = pending.has(key) ? pending.get(key) : base.get(key);
    return value === DELETED || value === undefined ? undefined : copy(value);
  };
  const write = (key: string, value: Json) => {
    guard('write', key);
    assertJson(value, key);
    pending.set(key, copy(value));
  };
  const exists = (key: string) => {
    guard('read', key);
    return pending.has(key) ? pending.get(key) !== DELETED : base.has(key);
  };

  const views: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    views[name] =
      spec.kind === 'value'
        ? valueView(name, spec, read, write, () => {
            guard('delete', name);
            pending.set(name, DELETED);
          })
        : mapView(name);
  }

  function mapView(name: string): MapState<Json> {
    const prefix = `${name}/`;
    function* keys(): IterableIterator<string> {
      guard('read', `${prefix}*`);
      for (const key of base.keys()) {
        if (key.startsWith(prefix) && exists(key)) yield key.slice(prefix.length);
      }
      for (const [key, value] of pending) {
        if (key.startsWith(prefix) && value !== DELETED && !base.has(key)) yield key.slice(prefix.length);
      }
    }
    return {
      get: (key) => read(prefix + key),
      has: (key) => exists(prefix + key),
      set: (key, value) => write(prefix + key, value),
      delete(key) {
        guard('delete', prefix + key);
        const had = exists(prefix + key);
        if (base.has(prefix + key)) pending.set(prefix + key, DELETED);
        else pending.delete(prefix + key);
        return had;
      },
      keys,
      *entries() {
        for (const key of keys()) yield [key, read(prefix + key) as Json];
      },
      get size() {
        let n = 0;
        for (const _ of keys()) n++;
        return n;
      },
    };
  }

  return {
    views: views as StateViews<S>,
    delta() {
      const delta: StateDelta = { set: [], del: [] };
      for (const [key, value] of pending) {
        if (value === DELETED) delta.del.push(key);
        else delta.set.push([key, value]);
      }
      return delta;
    },
    sizeAfter() {
      let size = base.size;
      for (const [key, value] of pending) {
        if (value === DELETED && base.has(key)) size--;
        if (value !== DELETED && !base.has(key)) size++;
      }
      return size;
    },
    close(error) {
      closed = error;
    },
    applyTo(target) {
      for (const [key, value] of pending) {
        if (value === DELETED) target.delete(key);
        else target.set(key, value);
      }
    },
  };
}

function valueView(
  name: string,
  spec: ValueStateSpec,
  read: (key: string) => Json | undefined,
  write: (key: string, value: Json) => void,
  clear: () => void,
): ValueState<Json> {
  return {
    get: () => read(name) ?? copy(spec.initial),
    set: (value) => write(name, value),
    clear,
  };
}

function copy<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

/** State must round-trip through every store, so only JSON values are accepted. */
function assertJson(value: unknown, key: string, path = ''): void {
  const where = () => `state key "${key}"${path}`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where()} is ${value}: state values must be JSON`);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) assertJson(item, key, `${path}[${i}]`);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) assertJson(v, key, `${path}.${k}`);
    return;
  }
  throw new TypeError(
    `${where()} is ${typeof value === 'object' ? 'a non-plain object' : typeof value}: state values must be JSON`,
  );
}
