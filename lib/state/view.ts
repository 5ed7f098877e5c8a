import type { Json, StateDelta, StateEntries } from '../core/state-types';
import { TIMER_PREFIX, TIMER_VALUE, timerKey } from './reserved';
import type { ListStateSpec, MapStateSpec, StateSpec, ValueStateSpec } from './spec';
import { noteTimerChange } from './timer-index';

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

/** A list per key (Flink's ListState, keyed explicitly as Sluice's map state is). */
export interface ListState<T extends Json> {
  /** The list of `key` (empty when there is none). */
  get(key: string): T[];
  add(key: string, value: T): void;
  addAll(key: string, values: T[]): void;
  /** Replaces the list; an empty list removes the key. */
  update(key: string, values: T[]): void;
  clear(key: string): void;
  has(key: string): boolean;
  /** Iterates every key: O(total state), so avoid it on hot paths. */
  keys(): IterableIterator<string>;
}

export type StateViews<S extends Record<string, StateSpec>> = {
  [K in keyof S]: S[K] extends ValueStateSpec<infer T>
    ? ValueState<T>
    : S[K] extends MapStateSpec<infer T>
      ? MapState<T>
      : S[K] extends ListStateSpec<infer T>
        ? ListState<T>
        : never;
};

/** Raw access to any state key, for Sluice's own (reserved) keys and TTL expiry; not for users. */
export interface RawState {
  get(key: string): Json | undefined;
  has(key: string): boolean;
  set(key: string, value: Json): void;
  delete(key: string): void;
  /** The committed (base) state: read-only, for ordered views built on it (the timer index). */
  readonly base: StateEntries;
  /** Keys written (not deleted) by this transaction so far. */
  written(prefix: string): string[];
}

const DELETED = Symbol('deleted');
type Pending = Json | typeof DELETED;

export interface StateTransaction<S extends Record<string, StateSpec>> {
  views: StateViews<S>;
  raw: RawState;
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
  /** Opens the views again (timers fire after process() returned, in the same transaction). */
  reopen(): void;
}

export interface TransactionOptions {
  /** processing time of the batch (epoch ms): when TTL'd entries written now expire from */
  now?: number;
}

/** How the views of one state read and write its keys. */
interface Accessor {
  read(key: string): Json | undefined;
  exists(key: string): boolean;
  write(key: string, value: Json): void;
  remove(key: string): void;
}

/** A TTL'd entry as stored: the value and when it expires (processing time, epoch ms). */
interface Expiring {
  $v: Json;
  $x: number;
}

function isExpiring(value: Json | undefined): value is Json & Expiring {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as Record<string, Json>).$x === 'number' &&
    '$v' in value
  );
}

/** The namespace of the processing-time timers that remove expired entries of state `name`. */
export function ttlNamespace(name: string): string {
  return `ttl:${name}`;
}

/** Whether a stored entry of a TTL'd state has expired at `now` (the expiry timer's check). */
export function hasExpired(value: Json | undefined, now: number): boolean {
  return isExpiring(value) && value.$x <= now;
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
  options: TransactionOptions = {},
): StateTransaction<S> {
  const now = options.now ?? 0;
  const pending = new Map<string, Pending>();
  let closed: ((what: string) => Error) | null = null;
  const guard = (what: string, key: string) => {
    if (closed) throw closed(`state ${what} of "${key}"`);
  };
  const readRaw = (key: string): Json | undefined => {
    const value = pending.has(key) ? pending.get(key) : base.get(key);
    return value === DELETED ? undefined : value;
  };
  const deleteRaw = (key: string) => {
    if (base.has(key)) pending.set(key, DELETED);
    else pending.delete(key);
  };
  const existsRaw = (key: string) => (pending.has(key) ? pending.get(key) !== DELETED : base.has(key));

  /** Reads, writes and deletes of one state, TTL-aware when the spec has one. */
  function accessor(name: string, spec: StateSpec): Accessor {
    const ttl = spec.ttlMs;
    const unwrap = (value: Json | undefined): Json | undefined => {
      if (ttl === undefined || !isExpiring(value)) return value;
      return value.$x <= now ? undefined : value.$v;
    };
    const expiryTimer = (key: string, at: number) =>
      timerKey({ kind: 'processing', time: at, namespace: ttlNamespace(name), key });
    const dropTimer = (key: string) => {
      const old = readRaw(key);
      if (isExpiring(old)) deleteRaw(expiryTimer(key, old.$x));
    };
    return {
      read(key: string): Json | undefined {
        guard('read', key);
        const value = unwrap(readRaw(key));
        return value === undefined ? undefined : copy(value);
      },
      exists(key: string): boolean {
        guard('read', key);
        return ttl === undefined ? existsRaw(key) : unwrap(readRaw(key)) !== undefined;
      },
      write(key: string, value: Json) {
        guard('write', key);
        assertJson(value, key);
        if (ttl === undefined) {
          pending.set(key, copy(value));
          return;
        }
        dropTimer(key);
        const expires = now + ttl;
        pending.set(key, { $v: copy(value), $x: expires });
        pending.set(expiryTimer(key, expires), TIMER_VALUE);
      },
      remove(key: string) {
        guard('delete', key);
        if (ttl !== undefined) dropTimer(key);
        deleteRaw(key);
      },
    };
  }

  const views: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const access = accessor(name, spec);
    if (spec.kind === 'value') views[name] = valueView(name, spec, access);
    else if (spec.kind === 'map') views[name] = mapView(name, access);
    else views[name] = listView(name, access);
  }

  function keysOf(name: string, exists: (key: string) => boolean): () => IterableIterator<string> {
    const prefix = `${name}/`;
    return function* keys() {
      guard('read', `${prefix}*`);
      for (const key of base.keys()) {
        if (key.startsWith(prefix) && exists(key)) yield key.slice(prefix.length);
      }
      for (const [key, value] of pending) {
        if (key.startsWith(prefix) && value !== DELETED && !base.has(key) && exists(key))
          yield key.slice(prefix.length);
      }
    };
  }

  function mapView(name: string, access: Accessor): MapState<Json> {
    const prefix = `${name}/`;
    const keys = keysOf(name, access.exists);
    return {
      get: (key) => access.read(prefix + key),
      has: (key) => access.exists(prefix + key),
      set: (key, value) => access.write(prefix + key, value),
      delete(key) {
        const had = access.exists(prefix + key);
        access.remove(prefix + key);
        return had;
      },
      keys,
      *entries() {
        for (const key of keys()) yield [key, access.read(prefix + key) as Json];
      },
      get size() {
        let n = 0;
        for (const _ of keys()) n++;
        return n;
      },
    };
  }

  function listView(name: string, access: Accessor): ListState<Json> {
    const prefix = `${name}/`;
    const get = (key: string): Json[] => {
      const value = access.read(prefix + key);
      return Array.isArray(value) ? value : [];
    };
    const update = (key: string, values: Json[]) => {
      if (!Array.isArray(values))
        throw new TypeError(`state ${name}.update("${key}"): values must be an array`);
      if (values.length === 0) access.remove(prefix + key);
      else access.write(prefix + key, values);
    };
    return {
      get,
      add: (key, value) => update(key, [...get(key), value]),
      addAll: (key, values) => update(key, [...get(key), ...values]),
      update,
      clear: (key) => access.remove(prefix + key),
      has: (key) => access.exists(prefix + key),
      keys: keysOf(name, access.exists),
    };
  }

  const raw: RawState = {
    get: readRaw,
    has: existsRaw,
    set(key, value) {
      pending.set(key, value);
    },
    delete: deleteRaw,
    base,
    written(prefix) {
      const keys: string[] = [];
      for (const [key, value] of pending) if (value !== DELETED && key.startsWith(prefix)) keys.push(key);
      return keys;
    },
  };

  return {
    views: views as StateViews<S>,
    raw,
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
    reopen() {
      closed = null;
    },
    applyTo(target) {
      for (const [key, value] of pending) {
        if (value === DELETED) target.delete(key);
        else target.set(key, value);
        if (key.startsWith(TIMER_PREFIX)) noteTimerChange(target, key, value !== DELETED);
      }
    },
  };
}

function valueView(name: string, spec: ValueStateSpec, access: Accessor): ValueState<Json> {
  return {
    get: () => access.read(name) ?? copy(spec.initial),
    set: (value) => access.write(name, value),
    clear: () => access.remove(name),
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
