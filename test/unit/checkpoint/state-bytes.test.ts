import fc from 'fast-check';
import { expect, it } from 'vitest';
import { stateBytesAfter, stateBytesOf } from '../../../lib/checkpoint/state-bytes';
import type { Json, StateDelta } from '../../../lib/core/state-types';

const jsonSize = (state: Map<string, Json>) =>
  [...state].reduce(
    (n, [key, value]) => n + Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value)),
    0,
  );

/** Values without characters JSON escapes, so the scalar shortcut is exact. */
const value: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'grapheme' }).filter((s) => JSON.stringify(s) === `"${s}"`),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 3 }),
);

it('state bytes kept up to date from deltas equal the JSON size of the state, counted afresh', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'counts/ü', 'c/1'), value), { maxLength: 10 }),
      fc.array(
        fc.record({
          set: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'counts/ü', 'c/1', 'd'), value), { maxLength: 4 }),
          del: fc.array(fc.constantFrom('a', 'b', 'counts/ü', 'x'), { maxLength: 2 }),
        }),
        { maxLength: 6 },
      ),
      (initial, deltas) => {
        const state = new Map<string, Json>(initial);
        let bytes = stateBytesOf(state);
        expect(bytes).toBe(jsonSize(state));
        for (const raw of deltas) {
          // one change per key, as a transaction's delta has
          const deleted = new Set<string>(raw.del);
          const set = [...new Map(raw.set)].filter(([key]) => !deleted.has(key));
          const delta: StateDelta = { set, del: [...deleted] };
          bytes = stateBytesAfter(bytes, state, delta);
          for (const [key, v] of delta.set) state.set(key, v);
          for (const key of delta.del) state.delete(key);
          expect(bytes).toBe(jsonSize(state));
        }
      },
    ),
  );
});
