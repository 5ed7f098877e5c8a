import { StoreError } from '../core/errors';
import type { StateDelta, StateEntries } from '../core/state-types';
import {
  applyDelta,
  decodeDelta,
  decodeSnapshot,
  encodeDelta,
  encodeSnapshot,
  isEmptyDelta,
  mergeDeltas,
} from '../state/encoding';
import type { ItemState } from './aws-item';
import type { StateObjects } from './aws-objects';
import { DEFAULT_CHAIN_TO_SNAPSHOT_RATIO, DEFAULT_DELTA_FAN_IN } from './aws-options';
import type { StoreCost } from './store';

/**
 * Where a task's state lives, and how a commit moves it.
 *
 * - **inline**: the whole state, encoded, in the checkpoint item. Each commit rewrites it, which
 *   costs O(state) but the state is below `inlineStateLimitBytes`.
 * - **s3**: a snapshot object plus a chain of delta objects, oldest first, each with a level
 *   (size-tiered, as in an LSM tree). A commit PUTs its delta as level 0: O(keys changed).
 *   When the chain's tail then holds `deltaFanIn` (f, default 4) deltas of one level, they are
 *   merged into one delta of the next level, cascading; the commit that completes them does it:
 *   it reads the f-1 tail deltas (and, cascading, the f-1 of the next level before them), merges
 *   them with its own delta in memory (`mergeDeltas`: later writes and deletions win) and PUTs
 *   that one object instead of its delta. Levels count like the digits of a base-f counter of the
 *   commits since the snapshot: at most f-1 deltas per level, so after n commits the chain holds
 *   at most (f-1)·(1 + log_f(n)) deltas, and a byte a commit changed is read and rewritten once
 *   per level it climbs: merging costs O(delta · log_f(n)) bytes per commit amortised (less when
 *   commits rewrite the same keys: a merge keeps one value per key), never O(state).
 * - **full compaction**: when the chain weighs more than the snapshot (`chainToSnapshotRatio`),
 *   or would get longer than `compactAfterDeltas`, the commit reads snapshot and chain and writes
 *   one new snapshot: the only O(state) step, about 3× the state in bytes (read it and a chain as
 *   heavy, write it). The weight rule spaces them about state/delta commits apart, so per commit
 *   they cost about 3 deltas: constant. The length bound is a backstop (a cold load reads at most
 *   1 + `compactAfterDeltas` objects, the item's delta list stays short): with f = 4 and 32 it
 *   only triggers ~4 million commits after a snapshot.
 *
 * So the amortised commit costs O(delta · log_f(state / delta)) bytes: it grows with the log of
 * the state, not with the state (bench/commit-cost.ts: 100 changed keys, 1k → 1M keys of state).
 * Warm commits (most of them: f-1 in f merge nothing) write one delta and an item whose delta list
 * grows with the chain. A cold load reads the snapshot and a chain weighing at most as much.
 * Merging dereferences the deltas it replaced, which are deleted once the commit succeeded: an
 * invocation still holding the previous checkpoint finds them missing, as after a compaction.
 *
 * After a compaction the state returns inline if it shrank below half the limit (half, so that
 * a state hovering at the limit does not go back and forth).
 */

/** What the store remembers of a task after load or commit: enough to build the next commit. */
export type KnownState =
  /** the committed state, owned by the store (never a map handed to the caller) */
  | { kind: 'inline'; state: StateEntries }
  /** only the object references: the values stay in S3 (and in the caller's memory) */
  | SpilledState;

type SpilledState = Extract<ItemState, { kind: 's3' }>;

export type StateWriteKind = 'inline' | 'delta' | 'snapshot' | 'unchanged';

export interface StateWrite {
  item: ItemState;
  known: KnownState;
  kind: StateWriteKind;
  /** this write replaced a spilled snapshot and chain (objects were read back) */
  compacted: boolean;
  /** deltas read back and merged with this commit's delta into the one it wrote (0: none) */
  merged: number;
  /** object keys written: orphans if the checkpoint write then fails */
  written: string[];
  /** object keys the new item no longer references: garbage once the write succeeds */
  dereferenced: string[];
}

export interface StateLayout {
  /** Materialises the state an item describes (reads the snapshot and deltas when spilled). */
  read(objectPrefix: string, state: ItemState, cost: StoreCost): Promise<StateEntries>;
  /** What to remember after a load: the state itself only when inline (as a separate copy). */
  remember(state: ItemState): KnownState;
  /**
   * Writes the objects for a commit and returns the item's new state reference. `known` is
   * consumed (updated in place): the caller must forget it if the commit then fails.
   */
  write(
    known: KnownState,
    delta: StateDelta,
    version: number,
    objectPrefix: string,
    cost: StoreCost,
  ): Promise<StateWrite>;
}

/** Parallel GETs on load: enough to hide S3 latency, few enough for a small Lambda. */
const READ_CONCURRENCY = 8;

export function createStateLayout(options: {
  objects: StateObjects;
  inlineStateLimitBytes: number;
  compactAfterDeltas: number;
  /** deltas of one level merged into one of the next level; 0: never. Default `DEFAULT_DELTA_FAN_IN` */
  deltaFanIn?: number;
  /** full compaction once the chain weighs more than this times the snapshot. Default 1 */
  chainToSnapshotRatio?: number;
}): StateLayout {
  const { objects, inlineStateLimitBytes, compactAfterDeltas } = options;
  const fanIn = options.deltaFanIn ?? DEFAULT_DELTA_FAN_IN;
  const chainToSnapshotRatio = options.chainToSnapshotRatio ?? DEFAULT_CHAIN_TO_SNAPSHOT_RATIO;

  async function readObjects(objectPrefix: string, ids: string[], cost: StoreCost): Promise<string[]> {
    return mapLimited(ids, READ_CONCURRENCY, (id) => objects.get(objectPrefix, 'delta', id, cost));
  }

  async function read(objectPrefix: string, state: ItemState, cost: StoreCost): Promise<StateEntries> {
    if (state.kind === 'inline') return decode(() => decodeSnapshot(state.encoded), 'inline state');
    const texts = await mapLimited([state.snapshot, ...state.deltas], READ_CONCURRENCY, (id, index) =>
      objects.get(objectPrefix, index === 0 ? 'snapshot' : 'delta', id, cost),
    );
    const [snapshotText, ...deltaTexts] = texts;
    const entries = decode(() => decodeSnapshot(snapshotText ?? ''), `snapshot ${state.snapshot}`);
    deltaTexts.forEach((text, index) => {
      applyDelta(
        entries,
        decode(() => decodeDelta(text), `delta ${state.deltas[index]}`),
      );
    });
    return entries;
  }

  async function placeWhole(
    state: StateEntries,
    version: number,
    objectPrefix: string,
    cost: StoreCost,
    fromS3: boolean,
  ): Promise<Omit<StateWrite, 'compacted' | 'merged' | 'dereferenced'>> {
    const encoded = encodeSnapshot(state);
    const bytes = Buffer.byteLength(encoded);
    const limit = fromS3 ? Math.floor(inlineStateLimitBytes / 2) : inlineStateLimitBytes;
    if (bytes <= limit) {
      return {
        item: { kind: 'inline', encoded },
        known: { kind: 'inline', state },
        kind: 'inline',
        written: [],
      };
    }
    const id = await objects.put(objectPrefix, 'snapshot', version, encoded, cost);
    const spilled: SpilledState = {
      kind: 's3',
      snapshot: id,
      snapshotBytes: bytes,
      deltas: [],
      deltaLevels: [],
      deltaBytes: 0,
    };
    return {
      item: copyOf(spilled),
      known: spilled,
      kind: 'snapshot',
      written: [objects.key(objectPrefix, 'snapshot', id)],
    };
  }

  return {
    read,

    remember(state) {
      if (state.kind === 'inline') return { kind: 'inline', state: decodeSnapshot(state.encoded) };
      return copyOf(state);
    },

    async write(known, delta, version, objectPrefix, cost) {
      if (known.kind === 'inline') {
        // A JSON round trip of the delta: the store's copy must not share objects with the
        // caller's state, which the next batch mutates.
        applyDelta(known.state, decodeDelta(encodeDelta(delta)));
        const placed = await placeWhole(known.state, version, objectPrefix, cost, false);
        return { ...placed, compacted: false, merged: 0, dereferenced: [] };
      }

      if (isEmptyDelta(delta)) {
        return {
          item: copyOf(known),
          known,
          kind: 'unchanged',
          compacted: false,
          merged: 0,
          written: [],
          dereferenced: [],
        };
      }

      const encodedDelta = encodeDelta(delta);
      const deltaBytes = Buffer.byteLength(encodedDelta);
      const plan = planMerge(known.deltaLevels, fanIn);
      const chainTooLong = known.deltas.length - plan.take + 1 > compactAfterDeltas;
      // The chain's weight before merging: an upper bound of its weight after (a merge drops
      // overwritten keys, never adds any).
      const chainTooHeavy = known.deltaBytes + deltaBytes > known.snapshotBytes * chainToSnapshotRatio;
      if (chainTooLong || chainTooHeavy) {
        const state = await read(objectPrefix, known, cost);
        applyDelta(state, decodeDelta(encodedDelta));
        const placed = await placeWhole(state, version, objectPrefix, cost, true);
        const dereferenced = [
          objects.key(objectPrefix, 'snapshot', known.snapshot),
          ...known.deltas.map((id) => objects.key(objectPrefix, 'delta', id)),
        ];
        return { ...placed, compacted: true, merged: 0, dereferenced };
      }

      let body = encodedDelta;
      let bytes = deltaBytes;
      let replacedBytes = 0;
      const replaced = known.deltas.slice(known.deltas.length - plan.take);
      if (plan.take > 0) {
        // The tail deltas of the levels the new delta completes, merged with it into one object.
        const texts = await readObjects(objectPrefix, replaced, cost);
        const parts = texts.map((text, index) => decode(() => decodeDelta(text), `delta ${replaced[index]}`));
        body = encodeDelta(mergeDeltas([...parts, delta]));
        bytes = Buffer.byteLength(body);
        for (const text of texts) replacedBytes += Buffer.byteLength(text);
      }
      const id = await objects.put(objectPrefix, 'delta', version, body, cost);
      known.deltas.splice(known.deltas.length - plan.take, plan.take, id);
      known.deltaLevels.splice(known.deltaLevels.length - plan.take, plan.take, plan.level);
      known.deltaBytes = Math.max(0, known.deltaBytes - replacedBytes) + bytes;
      return {
        item: copyOf(known),
        known,
        kind: 'delta',
        compacted: false,
        merged: plan.take,
        written: [objects.key(objectPrefix, 'delta', id)],
        dereferenced: replaced.map((replacedId) => objects.key(objectPrefix, 'delta', replacedId)),
      };
    },
  };
}

/**
 * Which tail of the chain a new (level 0) delta merges with: the last `fanIn - 1` deltas if they
 * are all of level 0, which with the new one make a delta of level 1; then, cascading, the
 * `fanIn - 1` deltas of level 1 just before those, and so on. `take` deltas end the chain and are
 * replaced by one delta of `level` (with `take` 0: the new delta is appended, level 0).
 */
export function planMerge(levels: readonly number[], fanIn: number): { take: number; level: number } {
  if (fanIn < 2) return { take: 0, level: 0 };
  let end = levels.length;
  let level = 0;
  while (end >= fanIn - 1) {
    let start = end;
    while (start > end - (fanIn - 1) && levels[start - 1] === level) start--;
    if (start !== end - (fanIn - 1)) break;
    end = start;
    level++;
  }
  return { take: levels.length - end, level };
}

function copyOf(state: SpilledState): SpilledState {
  return { ...state, deltas: [...state.deltas], deltaLevels: [...state.deltaLevels] };
}

function decode<T>(parse: () => T, what: string): T {
  try {
    return parse();
  } catch (error) {
    throw new StoreError(`cannot decode the ${what} of a checkpoint: ${(error as Error).message}`, {
      retriable: false,
      cause: error,
    });
  }
}

/** `Promise.all` over `items` with at most `limit` calls in flight; results keep their order. */
async function mapLimited<T, R>(
  items: T[],
  limit: number,
  call: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  async function worker(): Promise<void> {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      results[index] = await call(items[index] as T, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
