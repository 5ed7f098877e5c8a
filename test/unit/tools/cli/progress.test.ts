import { describe, expect, it } from 'vitest';
import { createLiveArea } from '../../../../tools/cli/live-area';
import { progressLines } from '../../../../tools/cli/progress';
import { createStyle } from '../../../../tools/cli/style';
import type { EmulatorStats, PartitionStats, TriggerStats } from '../../../../tools/trigger/stats';

function partition(p: number, lag: number | null, paused = false): PartitionStats {
  return {
    partition: p,
    committed: 0,
    highWatermark: 0,
    lag,
    buffered: 0,
    bufferedBytes: 0,
    inFlight: false,
    paused,
  };
}

function trigger(overrides: Partial<TriggerStats>): TriggerStats {
  return {
    function: 'word-count',
    topic: 'test',
    groupId: 'g',
    delivered: 0,
    invocations: 0,
    errors: 0,
    retries: 0,
    bisects: 0,
    filtered: 0,
    discarded: 0,
    sentToOnFailure: 0,
    recordsPerSecond: 0,
    lag: 0,
    partitions: [],
    ...overrides,
  };
}

const stats = (triggers: TriggerStats[]): EmulatorStats => ({
  uptimeMs: 1,
  flush: { flushes: 0, flushFailures: 0 },
  memory: { rss: 0, heapUsed: 0 },
  triggers,
  functionMemory: {},
  instances: {},
});
const plain = createStyle({ isTTY: false, write() {} }, {});

describe('progressLines', () => {
  it('shows rate, total, lag per partition and problems, aligned across triggers', () => {
    const lines = progressLines(
      stats([
        trigger({
          recordsPerSecond: 1234.4,
          delivered: 12000,
          partitions: [partition(0, 0), partition(1, 12, true)],
        }),
        trigger({ function: 'prefix', errors: 2, retries: 1, filtered: 3, partitions: [partition(0, null)] }),
      ]),
      plain,
    );
    expect(lines).toEqual([
      'word-count  test   1,234 rec/s  12,000 done  lag 0:0 1:12⏸',
      'prefix      test       0 rec/s       0 done  lag 0:?  2 errors  1 retries  3 filtered',
    ]);
  });

  it('adds invocations per instance for a function with several warm instances', () => {
    const instance = (invocations: number, errors = 0) => ({ invocations, errors, active: 0 });
    const lines = progressLines(
      {
        ...stats([trigger({ function: 'sum' }), trigger({})]),
        instances: { sum: [instance(3), instance(1_200, 2)], 'word-count': [instance(9)] },
      },
      plain,
    );
    expect(lines.slice(2)).toEqual(['sum         instances  invocations #0:3 #1:1,200  2 failed']);
  });

  it('says when a trigger has no partitions yet', () => {
    expect(progressLines(stats([trigger({})]), plain)[0]).toContain('lag (no partitions yet)');
  });
});

describe('createLiveArea', () => {
  it('redraws its lines in place on a terminal', () => {
    const written: string[] = [];
    const area = createLiveArea({ isTTY: true, write: (t) => void written.push(t) });
    area.update(['a', 'b']);
    area.update(['c']);
    area.stop();
    expect(written.join('')).toBe('a\nb\n\u001b[2F\u001b[0Jc\n\u001b[1F\u001b[0J');
  });

  it('draws nothing off a terminal', () => {
    const written: string[] = [];
    const area = createLiveArea({ isTTY: false, write: (t) => void written.push(t) });
    area.update(['a']);
    area.stop();
    expect(written).toEqual([]);
  });
});
