import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json, StateDelta, StateEntries } from '../../../lib/core/state-types';
import { applyDelta, decodeDelta, encodeDelta, mergeDeltas } from '../../../lib/state/encoding';

/** A delta over keys `k0..k11` as a batch makes it: no key both written and deleted. */
const deltaArb: fc.Arbitrary<StateDelta> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.option(fc.integer({ min: 0, max: 99 }))), {
    maxLength: 8,
  })
  .map((operations) => {
    const last = new Map<string, number | null>();
    for (const [key, value] of operations) last.set(`k${key}`, value);
    const delta: StateDelta = { set: [], del: [] };
    for (const [key, value] of last) {
      if (value === null) delta.del.push(key);
      else delta.set.push([key, value]);
    }
    return delta;
  });

const stateArb: fc.Arbitrary<StateEntries> = fc
  .dictionary(
    fc.integer({ min: 0, max: 11 }).map((key) => `k${key}`),
    fc.integer(),
  )
  .map((entries) => new Map<string, Json>(Object.entries(entries)));

function applyAll(state: StateEntries, deltas: StateDelta[]): StateEntries {
  const result = new Map(state);
  for (const delta of deltas) applyDelta(result, delta);
  return result;
}

describe('mergeDeltas', () => {
  it('has the effect of applying the deltas in order, on any state', () => {
    fc.assert(
      fc.property(stateArb, fc.array(deltaArb, { maxLength: 10 }), (state, deltas) => {
        const merged = mergeDeltas(deltas);
        expect(applyAll(state, [merged])).toEqual(applyAll(state, deltas));
        // never both writes and deletes a key, so applyDelta's order does not matter
        const written = new Set(merged.set.map(([key]) => key));
        expect(merged.del.filter((key) => written.has(key))).toEqual([]);
        expect(written.size).toBe(merged.set.length);
        expect(new Set(merged.del).size).toBe(merged.del.length);
      }),
      { numRuns: 500 },
    );
  });

  it('merges merges: tiers of merged deltas equal one merge of everything', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.array(fc.array(deltaArb, { maxLength: 5 }), { maxLength: 5 }),
        (state, groups) => {
          const tiered = mergeDeltas(groups.map((group) => mergeDeltas(group)));
          expect(applyAll(state, [tiered])).toEqual(applyAll(state, groups.flat()));
          // and survives the wire encoding
          expect(applyAll(state, [decodeDelta(encodeDelta(tiered))])).toEqual(applyAll(state, groups.flat()));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('turns a key written then deleted into a deletion, and deleted then written into a write', () => {
    const merged = mergeDeltas([
      { set: [['a', 1]], del: ['b'] },
      { set: [['b', 2]], del: ['a'] },
    ]);
    expect(merged).toEqual({ set: [['b', 2]], del: ['a'] });
    // 'a' may be in the state below the deltas: the deletion must stay.
    expect(applyAll(new Map([['a', 0]]), [merged])).toEqual(new Map([['b', 2]]));
    expect(mergeDeltas([])).toEqual({ set: [], del: [] });
  });
});
