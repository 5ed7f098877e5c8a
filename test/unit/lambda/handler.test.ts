import { describe, expect, it } from 'vitest';
import { handler as wordCount } from '../../../functions/word-count';
import { DecodeError, defineFunction, logSink, serde, state } from '../../../lib';
import { HandlerError } from '../../../lib/core/errors';
import { BatchFailedError } from '../../../lib/lambda/handler';
import { createHarness } from '../../../lib/testing/harness';
import mskEvent from '../../events/msk.json';

const counter = defineFunction({
  name: 'counter',
  source: { topic: 'numbers', key: serde.string(), value: serde.json<number>() },
  state: { sums: state.map<number>(), total: state.value(0) },
  sinks: { out: logSink({ value: serde.json<number>() }) },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      if (record.value < 0) throw new Error(`negative value at ${record.offset}`);
      state.sums.set(record.key, (state.sums.get(record.key) ?? 0) + record.value);
      state.total.set((state.total.get() ?? 0) + record.value);
      emit.out({ key: record.key, value: state.total.get() ?? 0 });
    }
  },
});

describe('the handler', () => {
  it('runs the word-count example from DESIGN and emits running counts', async () => {
    const h = createHarness(wordCount);
    await h.invoke([{ value: 'to be or not to be' }, { partition: 1, value: 'be quick' }]);
    expect(await h.state(0)).toEqual({ 'counts/to': 2, 'counts/be': 2, 'counts/or': 1, 'counts/not': 1 });
    expect(await h.state(1)).toEqual({ 'counts/be': 1, 'counts/quick': 1 });
    expect(
      h
        .published('counts')
        .filter((o) => o.partition === 0)
        .map((o) => o.value),
    ).toEqual([
      { word: 'to', count: 1 },
      { word: 'be', count: 1 },
      { word: 'or', count: 1 },
      { word: 'not', count: 1 },
      { word: 'to', count: 2 },
      { word: 'be', count: 2 },
    ]);
  });

  it('skips records a retried event already applied', async () => {
    const h = createHarness(counter);
    await h.invoke([
      { key: 'a', value: 1 },
      { key: 'a', value: 2 },
    ]);
    await h.retry();
    expect(await h.state()).toEqual({ 'sums/a': 3, total: 3 });
    expect((await h.checkpoint())?.next).toBe(2);
  });

  it('turns a process() exception into a failed invocation that commits nothing', async () => {
    const h = createHarness(counter);
    await h.invoke([{ key: 'a', value: 1 }]);
    const failed = h.invoke([
      { key: 'a', value: 5 },
      { key: 'a', value: -1 },
    ]);
    await expect(failed).rejects.toBeInstanceOf(BatchFailedError);
    await expect(failed).rejects.toThrow(
      /process\(\) failed for counter\/numbers-0: negative value at 2; nothing was committed/,
    );
    expect((await failed.catch((e: BatchFailedError) => e.failures[0]?.error)) instanceof HandlerError).toBe(
      true,
    );
    expect(await h.state()).toEqual({ 'sums/a': 1, total: 1 });
  });

  it('fails an undecodable record with its topic, partition and offset, never dropping it', async () => {
    const h = createHarness(counter);
    const failed = h.invoke([
      { key: 'a', value: 1 },
      { partition: 0, key: 'a', rawValue: Buffer.from('{oops') },
    ]);
    await expect(failed).rejects.toThrow(/cannot decode the value of record numbers-0@1/);
    const inner = await failed.catch((e: BatchFailedError) => e.failures[0]?.error);
    expect(inner).toBeInstanceOf(DecodeError);
    expect(inner).toMatchObject({ topic: 'numbers', partition: 0, offset: 1 });
    expect(await h.checkpoint()).toBeNull();
  });

  it('commits the partitions that succeed when another partition of the event fails', async () => {
    const h = createHarness(counter);
    await expect(
      h.invoke([
        { partition: 0, key: 'a', value: 1 },
        { partition: 1, key: 'b', value: -1 },
        { partition: 2, key: 'c', value: 3 },
      ]),
    ).rejects.toThrow(/1 partition batch\(es\) failed/);
    expect(await h.state(0)).toEqual({ 'sums/a': 1, total: 1 });
    expect(await h.state(1)).toEqual({});
    expect(await h.state(2)).toEqual({ 'sums/c': 3, total: 3 });
  });

  it('reports failed partitions as a partial batch response when enabled', async () => {
    const h = createHarness(counter, { handler: { reportBatchItemFailures: true } });
    const response = await h.invoke([
      { partition: 0, key: 'a', value: 1 },
      { partition: 1, offset: 7, key: 'b', value: -1 },
    ]);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'numbers-1', offset: 7 } }],
    });
  });

  it('refuses an event for another topic, naming the trigger setting', async () => {
    const h = createHarness(counter);
    await expect(h.invokeEvent(mskEvent)).rejects.toThrow(
      /reads topic "numbers" but the event holds "mytopic"/,
    );
  });

  it('rejects a malformed event with the path of the bad field', async () => {
    const h = createHarness(counter);
    await expect(
      h.invokeEvent({ ...mskEvent, records: { 'numbers-0': [{ topic: 'numbers' }] } }),
    ).rejects.toThrow(/records\["numbers-0"\]\[0\]/);
  });

  it('does not start a batch when the Lambda deadline is too close', async () => {
    const h = createHarness(counter);
    await expect(h.invoke([{ key: 'a', value: 1 }], { getRemainingTimeInMillis: () => 500 })).rejects.toThrow(
      /only 500 ms left/,
    );
    expect(await h.checkpoint()).toBeNull();
  });

  it('fences a zombie: of two concurrent invocations of one batch, exactly one commits, the other re-runs and skips', async () => {
    const h = createHarness(counter);
    const zombie = h.fork();
    await h.invoke([{ key: 'a', value: 1 }]);
    await zombie.invokeEvent(h.event([{ offset: 0, key: 'a', value: 1 }])); // warms the zombie at v1
    const event = h.event([{ key: 'a', value: 10 }]);
    const results = await Promise.allSettled([h.invokeEvent(event), zombie.invokeEvent(event)]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0);
    expect(h.reruns + zombie.reruns).toBe(1);
    expect((await h.checkpoint())?.version).toBe(2);
    expect(await h.state()).toEqual({ 'sums/a': 11, total: 11 });
    expect(h.published('out').map((o) => o.value)).toEqual([1, 11]);
  });

  it('rejects state values that are not JSON', async () => {
    const bad = defineFunction({
      name: 'bad-state',
      source: { topic: 't', value: serde.string() },
      state: { v: state.value<number>() },
      process(_batch, { state }) {
        state.v.set(Number.NaN);
      },
    });
    await expect(createHarness(bad).invoke([{ value: 'x' }])).rejects.toThrow(/state values must be JSON/);
  });
});
