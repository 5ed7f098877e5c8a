import { describe, expect, it } from 'vitest';
import { FAULT_POINTS } from '../../../lib/core/faults';
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
  it('is published when its marker is absent, whatever its age (an unconfirmed outbox was never published)', async () => {
    let now = 1_000_000;
    const h = createHarness(runningSum, { now: () => now });
    h.failAt('after-commit');
    await expect(h.invoke([{ key: 'a', value: 1 }])).rejects.toThrow('after-commit');
    await h.crash();
    now += 30 * 86_400_000; // a month: any marker would have expired
    h.broker.markers.clear();
    await h.retry();
    expect(h.published('out')).toEqual([{ partition: 0, key: 'a', value: { key: 'a', sum: 1 } }]);
  });

  it('is not published again once the scheduled flush confirmed it, even after its marker expired', async () => {
    let now = 1_000_000;
    const h = createHarness(runningSum, { now: () => now });
    await h.invoke([{ key: 'a', value: 1 }]);
    now += 120_000;
    expect(await h.flush()).toMatchObject({ tasks: 1, confirmed: 1, failures: [] });
    expect((await h.checkpoint())?.outbox).toBeNull();
    await h.crash();
    now += 8 * 86_400_000;
    h.broker.markers.clear(); // expired
    await h.invoke([{ key: 'a', value: 2 }]);
    expect(h.published('out').map((o) => o.value)).toEqual([
      { key: 'a', sum: 1 },
      { key: 'a', sum: 3 },
    ]);
  });

  it('leaves a busy task to its own invocations, and publishes an idle one nobody published', async () => {
    let now = 1_000_000;
    const h = createHarness(runningSum, { now: () => now });
    h.failAt('mid-publish');
    await expect(h.invoke([{ key: 'a', value: 1 }])).rejects.toThrow('mid-publish');
    expect(await h.flush()).toMatchObject({ confirmed: 0, busy: 1 });
    expect(h.published('out')).toHaveLength(0);
    now += 60_000;
    expect(await h.flush()).toMatchObject({ confirmed: 1, busy: 0 });
    expect(h.published('out')).toHaveLength(1);
  });
});
