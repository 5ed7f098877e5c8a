import { describe, expect, it } from 'vitest';
import { FAULT_POINTS } from '../../../lib/checkpoint/faults';
import { createHarness } from '../../../lib/testing/harness';
import { runningSum } from '../../checkpoint/exactly-once-property';

describe.each(FAULT_POINTS)('a crash at %s', (point) => {
  it.each([
    ['a warm retry', false],
    ['a cold restart', true],
  ])('then %s applies the batch exactly once', async (_, cold) => {
    const h = createHarness(runningSum);
    await h.invoke([{ key: 'a', value: 1 }]);
    h.failAt(point);
    await expect(
      h.invoke([
        { key: 'a', value: 2 },
        { key: 'b', value: 5 },
      ]),
    ).rejects.toThrow(`injected fault at ${point}`);
    expect(h.faults.fired.map((f) => f.point)).toEqual([point]);
    if (cold) await h.crash();
    await h.retry();
    expect(await h.state()).toEqual({ 'sums/a': 3, 'sums/b': 5, seen: 3 });
    expect(h.published('out').map((o) => o.value)).toEqual([
      { key: 'a', sum: 1 },
      { key: 'a', sum: 3 },
      { key: 'b', sum: 5 },
    ]);
    expect(h.committedOutboxes).toHaveLength(2);
  });
});
