import { describe, expect, it } from 'vitest';
import type { CheckpointRow } from '../../../../../tools/cli/inspect';
import { createLiveModel, HISTORY_MS } from '../../../../../tools/cli/live/live-model';
import type { EmulatorStats, PartitionStats } from '../../../../../tools/trigger/stats';
import { createCounters } from '../../../../../tools/trigger/stats';

function stats(
  lags: Array<number | null>,
  extra: Partial<EmulatorStats['triggers'][number]> = {},
): EmulatorStats {
  const partitions: PartitionStats[] = lags.map((lag, partition) => ({
    partition,
    committed: 0,
    highWatermark: lag,
    lag,
    buffered: 0,
    bufferedBytes: 0,
    inFlight: false,
    paused: false,
  }));
  return {
    uptimeMs: 1_000,
    memory: { rss: 0, heapUsed: 0 },
    functionMemory: {},
    instances: {},
    flush: { invocations: 0, errors: 0, published: 0 } as never,
    triggers: [
      {
        ...createCounters(),
        function: 'wc',
        topic: 'test',
        groupId: 'g',
        recordsPerSecond: 4,
        lag: lags.reduce<number>((n, l) => n + (l ?? 0), 0),
        partitions,
        ...extra,
      },
    ],
  };
}

function emf(partition: number, values: Record<string, number>, newest?: number): Record<string, unknown> {
  return {
    _aws: { Timestamp: 0, CloudWatchMetrics: [] },
    function: 'word-count-under-another-name',
    partition: String(partition),
    ...(newest !== undefined && { newestRecordTimestamp: newest }),
    ...values,
  };
}

describe('the live model', () => {
  it('joins the emulator, the functions metrics and the checkpoints per partition task', () => {
    let now = 1_000_000;
    const model = createLiveModel(() => now);
    model.ingestMetrics(
      'wc',
      emf(0, { RecordsApplied: 3, StateKeys: 2, StateBytes: 40, BatchFailures: 0 }, now - 500),
    );
    model.ingestMetrics(
      'wc',
      emf(0, { RecordsApplied: 2, StateKeys: 3, StateBytes: 55, BatchFailures: 0 }, now - 200),
    );
    model.ingestMetrics('wc', emf(1, { BatchFailures: 1, TimeLag: 9_000 }, now - 100));
    const row = (partition: number, outboxStatus: CheckpointRow['outboxStatus']): CheckpointRow => ({
      topic: 'test',
      partition,
      version: 1,
      next: 1,
      stateKeys: 1,
      outbox: 4,
      outboxStatus,
      end: 1,
      lag: 0,
      committedAt: new Date(now - 2_000).toISOString(),
      checkpointAgeMs: 0,
      timeLagMs: 0,
    });
    model.ingestCheckpoints('wc', [row(0, 'published'), row(1, 'pending')]);
    now += 1_000;
    const snapshot = model.snapshot(stats([0, 7]));
    const [fn] = snapshot.functions;
    expect(fn).toMatchObject({
      name: 'wc',
      recordsPerSecond: 4,
      lag: 7,
      stateKeys: 4,
      stateBytes: 55,
      pendingOutboxes: 1,
    });
    expect(fn!.partitions[0]).toMatchObject({
      applied: 5,
      batches: 2,
      stateKeys: 3,
      stateBytes: 55,
      lag: 0,
      timeLagMs: 0,
      pendingOutbox: 0,
      checkpointAgeMs: 3_000,
      failures: 0,
    });
    // records wait on partition 1, and its only batch failed: no applied record to measure from
    expect(fn!.partitions[1]).toMatchObject({
      failures: 1,
      lag: 7,
      timeLagMs: null,
      pendingOutbox: 4,
      stateKeys: 1,
    });
    model.ingestMetrics('wc', emf(1, { RecordsApplied: 1, BatchFailures: 0 }, now - 4_000));
    expect(model.snapshot(stats([0, 6])).functions[0]!.partitions[1]!.timeLagMs).toBe(4_000);
    expect(model.snapshot(stats([0, 6])).functions[0]!.timeLagMs).toBe(4_000);
    // seen caught up 1 s ago: nothing waiting can be older than that, whatever the newest applied was
    model.snapshot(stats([0, 0]));
    now += 1_000;
    expect(model.snapshot(stats([0, 2])).functions[0]!.partitions[1]!.timeLagMs).toBe(1_000);
  });

  it('keeps a few minutes of history per function for the charts', () => {
    let now = 0;
    const model = createLiveModel(() => now);
    for (let i = 0; i <= HISTORY_MS / 1_000 + 30; i++) {
      now = i * 1_000;
      model.sample(stats([i % 3]));
    }
    const history = model.snapshot(stats([0])).functions[0]!.history;
    expect(history).toHaveLength(HISTORY_MS / 1_000 + 1);
    expect(history[0]!.t).toBe(now - HISTORY_MS);
    expect(history.at(-1)).toEqual({
      t: now,
      recordsPerSecond: 4,
      lag: (HISTORY_MS / 1_000 + 30) % 3,
      timeLagMs: 0,
    });
  });
});
