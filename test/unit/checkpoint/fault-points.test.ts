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

describe('an outbox found at a cold start', () => {
  it('is flushed while its publish marker is within the retention', async () => {
    let now = 1_000_000;
    const h = createHarness(runningSum, { now: () => now, outboxMarkerRetentionMs: 60_000 });
    h.failAt('after-commit');
    await expect(h.invoke([{ key: 'a', value: 1 }])).rejects.toThrow('after-commit');
    await h.crash();
    now += 59_000;
    await h.retry();
    expect(h.published('out')).toHaveLength(1);
  });

  it('is assumed published once older than the marker retention, since its marker may be gone', async () => {
    let now = 1_000_000;
    const h = createHarness(runningSum, { now: () => now, outboxMarkerRetentionMs: 60_000 });
    await h.invoke([{ key: 'a', value: 1 }]);
    await h.crash();
    now += 61_000;
    h.published('out'); // one so far
    await h.invoke([{ key: 'a', value: 2 }]);
    expect(h.published('out').map((o) => o.value)).toEqual([
      { key: 'a', sum: 1 },
      { key: 'a', sum: 3 },
    ]);
  });
});
