import { StoreError } from '../errors';
import {
  applyDelta,
  decodeDelta,
  decodeSnapshot,
  encodeDelta,
  encodeSnapshot,
  isEmptyDelta,
} from '../state/encoding';
import type { StateDelta, StateEntries } from '../state/types';
import type { ItemState } from './aws-item';
import type { StateObjects } from './aws-objects';
import type { StoreCost } from './store';

/**
 * Where a task's state lives, and how a commit moves it.
 *
 * - **inline**: the whole state, encoded, in the checkpoint item. Each commit rewrites it, which
 *   costs O(state) but the state is below `inlineStateLimitBytes`.
 * - **s3**: a snapshot object plus a chain of delta objects. A commit PUTs one delta: O(keys
 *   changed). When the chain gets longer than `compactAfterDeltas`, or heavier than the snapshot,
 *   the commit instead reads snapshot and chain, and writes one new snapshot: that compaction is
 *   the only O(state) step. It is amortised: it happens at most once per `compactAfterDeltas`
 *   commits (so a commit pays state/`compactAfterDeltas` on average), and the weight rule makes
 *   it early for big deltas (the snapshot it rewrites weighs no more than the chain it replaces).
 *   The chain limit also bounds a cold load to 1 + `compactAfterDeltas` GETs.
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
}): StateLayout {
  const { objects, inlineStateLimitBytes, compactAfterDeltas } = options;

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
  ): Promise<Omit<StateWrite, 'compacted' | 'dereferenced'>> {
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
      deltaBytes: 0,
    };
    return {
      item: spilled,
      known: { ...spilled, deltas: [] },
      kind: 'snapshot',
      written: [objects.key(objectPrefix, 'snapshot', id)],
    };
  }

  return {
    read,

    remember(state) {
      if (state.kind === 'inline') return { kind: 'inline', state: decodeSnapshot(state.encoded) };
      return { ...state, deltas: [...state.deltas] };
    },

    async write(known, delta, version, objectPrefix, cost) {
      if (known.kind === 'inline') {
        // A JSON round trip of the delta: the store's copy must not share objects with the
        // caller's state, which the next batch mutates.
        applyDelta(known.state, decodeDelta(encodeDelta(delta)));
        const placed = await placeWhole(known.state, version, objectPrefix, cost, false);
        return { ...placed, compacted: false, dereferenced: [] };
      }

      if (isEmptyDelta(delta)) {
        return {
          item: { ...known, deltas: [...known.deltas] },
          known,
          kind: 'unchanged',
          compacted: false,
          written: [],
          dereferenced: [],
        };
      }

      const encodedDelta = encodeDelta(delta);
      const deltaBytes = Buffer.byteLength(encodedDelta);
      const chainTooLong = known.deltas.length + 1 > compactAfterDeltas;
      const chainTooHeavy = known.deltaBytes + deltaBytes > known.snapshotBytes;
      if (chainTooLong || chainTooHeavy) {
        const state = await read(objectPrefix, known, cost);
        applyDelta(state, decodeDelta(encodedDelta));
        const placed = await placeWhole(state, version, objectPrefix, cost, true);
        const dereferenced = [
          objects.key(objectPrefix, 'snapshot', known.snapshot),
          ...known.deltas.map((id) => objects.key(objectPrefix, 'delta', id)),
        ];
        return { ...placed, compacted: true, dereferenced };
      }

      const id = await objects.put(objectPrefix, 'delta', version, encodedDelta, cost);
      known.deltas.push(id);
      known.deltaBytes += deltaBytes;
      return {
        item: { ...known, deltas: [...known.deltas] },
        known,
        kind: 'delta',
        compacted: false,
        written: [objects.key(objectPrefix, 'delta', id)],
        dereferenced: [],
      };
    },
  };
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
