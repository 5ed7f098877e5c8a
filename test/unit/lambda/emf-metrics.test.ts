import { describe, expect, it } from 'vitest';
import { defineFunction, logSink, serde, state } from '../../../lib';
import { stateBytesOf } from '../../../lib/checkpoint/state-bytes';
import { configFromEnv } from '../../../lib/core/config';
import { BATCH_METRICS } from '../../../lib/lambda/batch-metrics';
import { createEmfMetrics, type EmfDocument } from '../../../lib/lambda/emf-metrics';
import { createMemoryStore } from '../../../lib/store/memory';
import { createHarness } from '../../../lib/testing/harness';

const counter = defineFunction({
  name: 'counter',
  source: { topic: 'numbers', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>() },
  sinks: { out: logSink({ value: serde.json<number>() }) },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      if (record.value < 0) throw new Error(`negative value at ${record.offset}`);
      const sum = (state.sums.get(record.key) ?? 0) + record.value;
      state.sums.set(record.key, sum);
      emit.out({ key: record.key, value: sum });
    }
  },
});

/** A harness whose metrics are EMF lines, parsed back as CloudWatch would read them. */
function withEmf(now: () => number = Date.now) {
  const lines: string[] = [];
  const store = createMemoryStore();
  const h = createHarness(counter, {
    store,
    now,
    metrics: createEmfMetrics({ namespace: 'SluiceTest', write: (line) => lines.push(line) }),
  });
  const documents = () => lines.map((line) => JSON.parse(line) as EmfDocument & Record<string, number>);
  return { h, lines, documents };
}

/** What the EMF specification requires of a document, checked on the parsed JSON. */
function expectValidEmf(document: EmfDocument & Record<string, unknown>): void {
  const [directive, ...more] = document._aws.CloudWatchMetrics;
  expect(more).toEqual([]);
  expect(typeof document._aws.Timestamp).toBe('number');
  for (const set of directive!.Dimensions)
    for (const name of set) expect(typeof document[name]).toBe('string');
  for (const metric of directive!.Metrics) expect(typeof document[metric.Name]).toBe('number');
}

describe('metrics in CloudWatch embedded metric format', () => {
  it('emits one EMF document per partition batch, dimensions function and partition', async () => {
    const { h, documents } = withEmf();
    const sent = Date.now() - 5_000;
    await h.invoke(
      [
        { key: 'a', value: 1, timestamp: sent - 1_000 },
        { key: 'b', value: 2, timestamp: sent },
        { partition: 1, key: 'a', value: 3, timestamp: sent },
      ],
      { awsRequestId: 'req-1' },
    );
    const docs = documents().sort((x, y) => Number(x.partition) - Number(y.partition));
    expect(docs).toHaveLength(2);
    for (const doc of docs) expectValidEmf(doc);
    const [p0, p1] = docs;
    const directive = p0!._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('SluiceTest');
    expect(directive.Dimensions).toEqual([['function', 'partition']]);
    expect(Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]))).toEqual(
      Object.fromEntries(Object.entries(BATCH_METRICS).filter(([name]) => name in p0!)),
    );
    expect(p0).toMatchObject({
      function: 'counter',
      partition: '0',
      topic: 'numbers',
      task: 'counter/numbers-0',
      requestId: 'req-1',
      newestRecordTimestamp: sent,
      RecordsApplied: 2,
      RecordsSkipped: 0,
      OffsetGap: 0,
      StateKeys: 2,
      OutboxMessages: 2,
      CheckpointConflicts: 0,
      BatchReruns: 0,
      BatchFailures: 0,
    });
    expect(p1).toMatchObject({ partition: '1', RecordsApplied: 1, StateKeys: 1, OutboxMessages: 1 });
    // time lag: now - the newest applied record's timestamp (5 s ago, give or take the test)
    expect(p0!.TimeLag).toBeGreaterThanOrEqual(5_000);
    expect(p0!.TimeLag).toBeLessThan(60_000);
    // a first commit has no checkpoint to be old
    expect(p0).not.toHaveProperty('CheckpointAge');
    expect(p0!.StateBytes).toBe(stateBytesOf(new Map(Object.entries(await h.state(0)))));
  });

  it('tracks state bytes and checkpoint age across batches, deletes and retries', async () => {
    let clock = Date.now() - 3_600_000;
    const { h, documents } = withEmf(() => clock);
    await h.invoke([{ key: 'a', value: 1, timestamp: clock }]);
    clock += 60_000;
    await h.invoke([
      { key: 'a', value: 10_000, timestamp: clock },
      { key: 'bb', value: 2, timestamp: clock },
    ]);
    const second = documents()[1]!;
    expect(second.CheckpointAge).toBe(60_000);
    expect(second.StateBytes).toBe(stateBytesOf(new Map(Object.entries(await h.state(0)))));
    // A retried event applies nothing: all its records are skipped, state unchanged.
    await h.retry();
    const retried = documents()[2]!;
    expect(retried).toMatchObject({ RecordsApplied: 0, RecordsSkipped: 2, StateBytes: second.StateBytes });
  });

  it('reports a failed batch with the time lag it leaves behind', async () => {
    const { h, documents } = withEmf();
    const sent = Date.now() - 2_000;
    await expect(h.invoke([{ key: 'a', value: -1, timestamp: sent }])).rejects.toThrow('negative value');
    const [doc] = documents();
    expectValidEmf(doc!);
    expect(doc).toMatchObject({ BatchFailures: 1, CheckpointConflicts: 0, errorCode: 'HANDLER' });
    expect(doc!.TimeLag).toBeGreaterThanOrEqual(2_000);
    expect(doc).not.toHaveProperty('RecordsApplied');
  });

  it('counts a conflict and the re-run it causes', async () => {
    const store = createMemoryStore();
    const lines: string[] = [];
    const emf = createEmfMetrics({ namespace: 'SluiceTest', write: (line) => lines.push(line) });
    const stale = createHarness(counter, { store, metrics: emf });
    const other = createHarness(counter, { store });
    await stale.invoke([{ key: 'a', value: 1 }]);
    // another instance moves the task on: stale's warm checkpoint is now old
    await other.invoke([{ key: 'a', value: 1 }]);
    await other.invoke([{ key: 'a', value: 2, offset: 1 }]);
    await stale.invoke([{ key: 'a', value: 5, offset: 2 }]);
    const last = JSON.parse(lines.at(-1)!) as Record<string, number>;
    expect(last).toMatchObject({ CheckpointConflicts: 1, BatchReruns: 1, RecordsApplied: 1 });
  });

  it('writes nothing by default (tests), and is on by default on Lambda', async () => {
    const lines: string[] = [];
    const h = createHarness(counter, { log: { debug() {}, info() {}, warn() {}, error() {} } });
    await h.invoke([{ key: 'a', value: 1 }]);
    expect(lines).toEqual([]);
    expect(configFromEnv({}).metrics).toEqual({ enabled: false, namespace: 'Sluice' });
    const lambda = {
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      SLUICE_NAMESPACE: 'svc-dev',
      SLUICE_TABLE: 't',
      SLUICE_BUCKET: 'b',
    };
    expect(configFromEnv(lambda).metrics.enabled).toBe(true);
    expect(configFromEnv({ ...lambda, SLUICE_METRICS: 'false' }).metrics.enabled).toBe(false);
    expect(
      configFromEnv({ SLUICE_METRICS: 'true', SLUICE_METRICS_NAMESPACE: 'Team/Orders' }).metrics,
    ).toEqual({
      enabled: true,
      namespace: 'Team/Orders',
    });
    expect(() => configFromEnv({ SLUICE_METRICS: 'off' })).toThrow(
      'SLUICE_METRICS must be true or false (lower case), got "off"',
    );
    expect(() => configFromEnv({ SLUICE_METRICS_NAMESPACE: 'has space' })).toThrow(
      'SLUICE_METRICS_NAMESPACE must be a CloudWatch namespace',
    );
  });
});
