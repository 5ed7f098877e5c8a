import { describe, expect, it } from 'vitest';
import type { Json } from '../../../lib/core/state-types';
import { state } from '../../../lib/state/spec';
import { openStateTransaction } from '../../../lib/state/view';

describe('state transactions', () => {
  const specs = { m: state.map<Json>(), v: state.value(5) };

  it('reads through to the base and records only changed keys', () => {
    const base = new Map<string, Json>([
      ['m/a', 1],
      ['m/b', 2],
      ['v', 7],
    ]);
    const tx = openStateTransaction(specs, base);
    expect(tx.views.m.get('a')).toBe(1);
    tx.views.m.set('c', 3);
    tx.views.m.delete('b');
    tx.views.v.set(8);
    expect(tx.delta()).toEqual({
      set: [
        ['m/c', 3],
        ['v', 8],
      ],
      del: ['m/b'],
    });
    expect([...tx.views.m.entries()].sort()).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(tx.views.m.size).toBe(2);
    expect(tx.sizeAfter()).toBe(3);
    expect(base.get('m/b')).toBe(2);
    tx.applyTo(base);
    expect(Object.fromEntries(base)).toEqual({ 'm/a': 1, 'm/c': 3, v: 8 });
  });

  it('uses the initial value of a value state until it is set, and clears it', () => {
    const tx = openStateTransaction(specs, new Map());
    expect(tx.views.v.get()).toBe(5);
    tx.views.v.set(6);
    tx.views.v.clear();
    expect(tx.views.v.get()).toBe(5);
  });

  it('copies objects so mutation without set cannot bypass the delta', () => {
    const base = new Map<string, Json>([['m/o', { n: 1 }]]);
    const tx = openStateTransaction(specs, base);
    const o = tx.views.m.get('o') as { n: number };
    o.n = 99;
    expect(tx.views.m.get('o')).toEqual({ n: 1 });
    expect(tx.delta()).toEqual({ set: [], del: [] });
  });

  it('deleting a key added in the same batch leaves no trace', () => {
    const tx = openStateTransaction(specs, new Map());
    tx.views.m.set('x', 1);
    expect(tx.views.m.delete('x')).toBe(true);
    expect(tx.views.m.has('x')).toBe(false);
    expect(tx.delta()).toEqual({ set: [], del: [] });
  });
});
