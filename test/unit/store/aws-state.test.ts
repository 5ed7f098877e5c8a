import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, StateDelta, StateEntries } from '../../../lib/core/state-types';
import { encodeDelta, encodeSnapshot } from '../../../lib/state/encoding';
import {
  type CheckpointItem,
  fromAttributes,
  type ItemState,
  toAttributes,
} from '../../../lib/store/aws-item';
import { MissingObjectError, type StateObjects } from '../../../lib/store/aws-objects';
import { createStateLayout, type KnownState, planMerge } from '../../../lib/store/aws-state';
import { zeroCost } from '../../../lib/store/store';

/*
 * The spilled state layout (snapshot + tiered delta chain) against an in-memory object store,
 * driven the way lib/store/aws.ts drives it: write, then the checkpoint write succeeds (delete
 * `dereferenced`, keep `known`) or fails (delete `written`, forget `known`, reload from the item).
 */

/** S3 as a map of immutable objects; GETs of a missing key fail as the real one does. */
function memoryObjects() {
  const stored = new Map<string, string>();
  let counter = 0;
  const key = (prefix: string, kind: string, id: string) => `${prefix}${kind}/${id}.json`;
  const objects: StateObjects = {
    key,
    async put(prefix, kind, version, body, cost) {
      const id = `${version}-${(counter++).toString(16).padStart(16, '0')}`;
      cost.objectPuts += 1;
      cost.bytes += Buffer.byteLength(body);
      stored.set(key(prefix, kind, id), body);
      return id;
    },
    async get(prefix, kind, id, cost) {
      cost.objectGets += 1;
      const body = stored.get(key(prefix, kind, id));
      if (body === undefined) throw new MissingObjectError('bucket', key(prefix, kind, id), null);
      return body;
    },
    async remove(keys) {
      for (const k of keys) stored.delete(k);
      return 1;
    },
  };
  return { objects, stored };
}

const PREFIX = 'sluice/t/';

function referenced(state: ItemState): string[] {
  if (state.kind === 'inline') return [];
  return [
    `${PREFIX}snapshot/${state.snapshot}.json`,
    ...state.deltas.map((id) => `${PREFIX}delta/${id}.json`),
  ].sort();
}

/** A checkpoint item holding `state`. */
function itemWith(state: ItemState): CheckpointItem {
  return {
    pk: 'local/f/t/0',
    task: { fn: 'f', topic: 't', partition: 0 },
    version: 1,
    next: 0,
    stateKeys: 0,
    committedAt: 0,
    epoch: 0,
    last: null,
    commitId: 'c',
    objectPrefix: PREFIX,
    state,
    outbox: { kind: 'none' },
  };
}

/** The item state after a DynamoDB round trip, as a cold load would see it. */
function roundTrip(state: ItemState): ItemState {
  return fromAttributes(toAttributes(itemWith(state))).state;
}

const KEY_POOL = 300;

const commitArb = fc.record({
  set: fc.array(
    fc.tuple(fc.integer({ min: 0, max: KEY_POOL - 1 }), fc.oneof(fc.integer(), fc.string({ maxLength: 40 }))),
    { maxLength: 6 },
  ),
  del: fc.array(fc.integer({ min: 0, max: KEY_POOL - 1 }), { maxLength: 3 }),
  /** the checkpoint write fails after the objects were written */
  fails: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  /** the next commit comes from a cold instance (state reloaded from the item) */
  cold: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

describe('aws state layout: tiered delta chain', () => {
  it('materialises every committed delta in order, bounds the chain, collects garbage exactly', async () => {
    const seen = { merges: 0, deepMerges: 0, compactions: 0, failures: 0, coldStarts: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          fanIn: fc.constantFrom(0, 2, 3, 4),
          compactAfterDeltas: fc.integer({ min: 1, max: 12 }),
          inlineStateLimitBytes: fc.constantFrom(0, 200, 1024),
          chainToSnapshotRatio: fc.constantFrom(0.5, 1, 4),
          /** keys the first commit writes: the snapshot's weight against the small deltas */
          initialKeys: fc.integer({ min: 0, max: KEY_POOL }),
          commits: fc.array(commitArb, { minLength: 10, maxLength: 80 }),
        }),
        async ({
          fanIn,
          compactAfterDeltas,
          inlineStateLimitBytes,
          chainToSnapshotRatio,
          initialKeys,
          commits,
        }) => {
          const { objects, stored } = memoryObjects();
          const layout = createStateLayout({
            objects,
            inlineStateLimitBytes,
            compactAfterDeltas,
            deltaFanIn: fanIn,
            chainToSnapshotRatio,
          });
          const reference: StateEntries = new Map();
          let item: ItemState = { kind: 'inline', encoded: encodeSnapshot(new Map()) };
          let known: KnownState = layout.remember(item);
          const initial = Array.from({ length: initialKeys }, (_, i) => [i, `initial value ${i}`] as const);
          const all = [{ set: initial, del: [], fails: false, cold: false }, ...commits];
          for (const [index, commit] of all.entries()) {
            const set = new Map(commit.set.map(([key, value]): [string, Json] => [`k/${key}`, value]));
            const delta: StateDelta = {
              set: [...set],
              del: [...new Set(commit.del.map((key) => `k/${key}`))].filter((key) => !set.has(key)),
            };
            const before = [...stored.keys()].sort();
            const write = await layout.write(known, delta, index + 2, PREFIX, zeroCost());
            for (const key of write.written) expect(stored.has(key)).toBe(true);
            if (write.merged > 0) seen.merges++;
            if (write.merged >= 2 * Math.max(1, fanIn - 1)) seen.deepMerges++;
            if (write.compacted) seen.compactions++;
            if (commit.fails) {
              seen.failures++;
              // The conditional write failed: only what this commit wrote is garbage.
              await objects.remove(write.written);
              expect([...stored.keys()].sort()).toEqual(before);
              known = layout.remember(roundTrip(item));
              continue;
            }
            for (const key of write.dereferenced) expect(referenced(item)).toContain(key);
            await objects.remove(write.dereferenced);
            for (const key of delta.del) reference.delete(key);
            for (const [key, value] of delta.set) reference.set(key, value);
            item = write.item;

            // The bucket holds exactly what the item references.
            expect([...stored.keys()].sort()).toEqual(referenced(item));
            const loaded = roundTrip(item);
            expect(loaded).toEqual(item);
            expect(await layout.read(PREFIX, loaded, zeroCost())).toEqual(reference);
            if (item.kind === 's3') {
              expect(item.deltas.length).toBeLessThanOrEqual(compactAfterDeltas);
              expect(item.deltaLevels).toHaveLength(item.deltas.length);
              const chainBytes = item.deltas
                .map((id) => Buffer.byteLength(stored.get(`${PREFIX}delta/${id}.json`) ?? ''))
                .reduce((a, b) => a + b, 0);
              expect(item.deltaBytes).toBe(chainBytes);
              expect(item.snapshotBytes).toBe(
                Buffer.byteLength(stored.get(`${PREFIX}snapshot/${item.snapshot}.json`) ?? ''),
              );
              if (fanIn >= 2) {
                // Levels never rise towards the tail, and no level holds fanIn deltas.
                for (let i = 1; i < item.deltaLevels.length; i++) {
                  expect(item.deltaLevels[i]).toBeLessThanOrEqual(item.deltaLevels[i - 1] ?? 0);
                }
                const perLevel = new Map<number, number>();
                for (const level of item.deltaLevels) perLevel.set(level, (perLevel.get(level) ?? 0) + 1);
                for (const count of perLevel.values()) expect(count).toBeLessThan(fanIn);
              } else {
                expect(item.deltaLevels.every((level) => level === 0)).toBe(true);
              }
            }
            known = write.known;
            if (commit.cold) {
              seen.coldStarts++;
              known = layout.remember(roundTrip(item));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    // The runs went through every path.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(20);
  });

  it('counts levels like the digits of a base-f counter, reading f-1 deltas per level merged', async () => {
    const { objects } = memoryObjects();
    // A snapshot far heavier than the chain: only merging happens, no full compaction.
    const layout = createStateLayout({
      objects,
      inlineStateLimitBytes: 0,
      compactAfterDeltas: 32,
      deltaFanIn: 4,
    });
    const big = Array.from({ length: 5000 }, (_, i): [string, Json] => [`big/${i}`, i]);
    let known: KnownState = layout.remember({ kind: 'inline', encoded: encodeSnapshot(new Map()) });
    known = (await layout.write(known, { set: big, del: [] }, 1, PREFIX, zeroCost())).known;
    for (let n = 1; n <= 200; n++) {
      const cost = zeroCost();
      const write = await layout.write(known, { set: [[`k/${n % 7}`, n]], del: [] }, n + 1, PREFIX, cost);
      known = write.known;
      expect(write.compacted).toBe(false);
      const digits = n.toString(4).split('').map(Number);
      const levels = digits.flatMap((digit, i) => Array<number>(digit).fill(digits.length - 1 - i));
      expect(write.item.kind === 's3' && write.item.deltaLevels).toEqual(levels);
      // n = ...d000 (k trailing zeros): merges 3 deltas of each of the k levels, one PUT.
      const trailingZeros = digits.length - 1 - digits.findLastIndex((digit) => digit !== 0);
      expect(write.merged).toBe(3 * trailingZeros);
      expect(cost).toMatchObject({ objectGets: 3 * trailingZeros, objectPuts: 1 });
      expect(write.written).toHaveLength(1);
      expect(write.dereferenced).toHaveLength(3 * trailingZeros);
    }
  });

  it('compacts fully once the chain outweighs the snapshot, merging until then', async () => {
    const { objects } = memoryObjects();
    const layout = createStateLayout({ objects, inlineStateLimitBytes: 0, compactAfterDeltas: 32 });
    const state = Array.from({ length: 200 }, (_, i): [string, Json] => [
      `k/${String(i).padStart(4, '0')}`,
      0,
    ]);
    let known = (
      await layout.write(
        layout.remember({ kind: 'inline', encoded: encodeSnapshot(new Map()) }),
        { set: state, del: [] },
        1,
        PREFIX,
        zeroCost(),
      )
    ).known;
    const snapshotBytes = known.kind === 's3' ? known.snapshotBytes : 0;
    let merges = 0;
    for (let n = 1; ; n++) {
      const delta: StateDelta = {
        set: state.slice((n * 20) % 200, ((n * 20) % 200) + 20).map(([k]) => [k, n]),
        del: [],
      };
      const chainBefore = known.kind === 's3' ? known.deltaBytes : 0;
      const write = await layout.write(known, delta, n + 1, PREFIX, zeroCost());
      known = write.known;
      if (write.merged > 0) merges++;
      if (write.compacted) {
        expect(chainBefore + Buffer.byteLength(encodeDelta(delta))).toBeGreaterThan(snapshotBytes);
        expect(merges).toBeGreaterThan(0);
        expect(write.kind).toBe('snapshot');
        break;
      }
      expect(write.item.kind === 's3' && write.item.deltaBytes).toBeLessThanOrEqual(snapshotBytes);
    }
  });

  it('loads an item written before delta levels as all level 0, and merges on top of it', async () => {
    const { objects } = memoryObjects();
    const layout = createStateLayout({ objects, inlineStateLimitBytes: 0, compactAfterDeltas: 32 });
    const cost = zeroCost();
    const snapshot = await objects.put(PREFIX, 'snapshot', 1, encodeSnapshot(new Map([['a', 0]])), cost);
    const deltas: string[] = [];
    let deltaBytes = 0;
    for (let i = 0; i < 6; i++) {
      const body = encodeDelta({ set: [[`k/${i}`, i]], del: i === 5 ? ['a'] : [] });
      deltaBytes += Buffer.byteLength(body);
      deltas.push(await objects.put(PREFIX, 'delta', i + 2, body, cost));
    }
    const attributes = toAttributes({
      pk: 'local/f/t/0',
      task: { fn: 'f', topic: 't', partition: 0 },
      version: 7,
      next: 0,
      stateKeys: 6,
      committedAt: 0,
      epoch: 0,
      last: null,
      commitId: 'c',
      objectPrefix: PREFIX,
      state: { kind: 's3', snapshot, snapshotBytes: 1_000_000, deltas, deltaLevels: [], deltaBytes },
      outbox: { kind: 'none' },
    });
    delete attributes.deltaLevels;
    const old = fromAttributes(attributes).state;
    expect(old).toMatchObject({ kind: 's3', deltas, deltaLevels: [0, 0, 0, 0, 0, 0] });

    const write = await layout.write(
      layout.remember(old),
      { set: [['k/6', 6]], del: [] },
      8,
      PREFIX,
      zeroCost(),
    );
    expect(write.merged).toBe(3);
    expect(write.item).toMatchObject({
      deltas: [...deltas.slice(0, 3), expect.any(String)],
      deltaLevels: [0, 0, 0, 1],
    });
    expect(Object.fromEntries(await layout.read(PREFIX, write.item, zeroCost()))).toEqual({
      'k/0': 0,
      'k/1': 1,
      'k/2': 2,
      'k/3': 3,
      'k/4': 4,
      'k/5': 5,
      'k/6': 6,
    });
  });

  it('rejects an item whose levels do not match its deltas', () => {
    const attributes = toAttributes(
      itemWith({
        kind: 's3',
        snapshot: 's',
        snapshotBytes: 1,
        deltas: ['a', 'b'],
        deltaLevels: [0, 0],
        deltaBytes: 2,
      }),
    );
    attributes.deltaLevels = { L: [{ N: '0' }] };
    expect(() => fromAttributes(attributes)).toThrow(/deltaLevels/);
    attributes.deltaLevels = { L: [{ N: '0' }, { N: '-1' }] };
    expect(() => fromAttributes(attributes)).toThrow(/deltaLevels/);
  });
});

describe('planMerge', () => {
  it('takes the tail runs of f-1 deltas, level by level', () => {
    expect(planMerge([], 4)).toEqual({ take: 0, level: 0 });
    expect(planMerge([0, 0], 4)).toEqual({ take: 0, level: 0 });
    expect(planMerge([0, 0, 0], 4)).toEqual({ take: 3, level: 1 });
    expect(planMerge([1, 1, 0, 0, 0], 4)).toEqual({ take: 3, level: 1 });
    expect(planMerge([2, 1, 1, 1, 0, 0, 0], 4)).toEqual({ take: 6, level: 2 });
    expect(planMerge([1, 0], 2)).toEqual({ take: 2, level: 2 });
    // an old chain of level-0 deltas merges its last f-1
    expect(planMerge([0, 0, 0, 0, 0], 4)).toEqual({ take: 3, level: 1 });
    expect(planMerge([0, 0, 0, 1, 0, 0, 0], 4)).toEqual({ take: 3, level: 1 });
    expect(planMerge([0, 0, 0], 0)).toEqual({ take: 0, level: 0 });
  });
});
