import { describe, expect, it } from 'vitest';
import { createSemaphore } from '../../../../tools/trigger/semaphore';
import {
  fail,
  fakeClock,
  lastOf,
  ok,
  recordingSink,
  records,
  scriptedInvoker,
  T0,
  testWorker,
  until,
} from './fakes';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('partition worker: batching', () => {
  it('cuts batches of batchSize in offset order and commits after each success', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const { worker, commits, counters } = testWorker(invoker, clock, { batchSize: 100 });
    worker.push(records(250), 250);
    await until(() => lastOf(commits) === 250, 'commit of 250');
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([range(0, 99), range(100, 199), range(200, 249)]);
    expect(counters.delivered).toBe(250);
    expect(commits).toEqual([...new Set(commits)].sort((a, b) => a - b));
  });

  it('waits for the batching window before sending a partial batch', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 100, maximumBatchingWindow: 2 });
    worker.push(records(3), 3);
    await until(() => lastOf(commits) === 3);
    await worker.stop();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.at - T0).toBe(2_000);
  });

  it('keeps one batch in flight per partition', async () => {
    const clock = fakeClock();
    let release: () => void = () => {};
    const { invoker, calls, maxActive } = scriptedInvoker(
      () =>
        new Promise((resolve) => {
          release = () => resolve(ok);
        }),
      clock,
    );
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 2 });
    worker.push(records(6), 6);
    for (let n = 1; n <= 3; n++) {
      await until(() => calls.length === n, `call ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(calls).toHaveLength(n);
      release();
    }
    await until(() => lastOf(commits) === 6);
    await worker.stop();
    expect(maxActive()).toBe(1);
  });

  it('ignores records it already has (a re-fetch after a rebalance)', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 10 });
    worker.push(records(5), 5);
    worker.push(records(8), 8);
    await until(() => lastOf(commits) === 8);
    await worker.stop();
    expect(calls.flatMap((c) => c.offsets)).toEqual(range(0, 7));
  });

  it('sends a filtered-out record never, and commits past it', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const { worker, commits, counters } = testWorker(
      invoker,
      clock,
      { batchSize: 10 },
      { filter: (value) => value?.toString() !== 'v1' },
    );
    worker.push(records(3), 3);
    await until(() => lastOf(commits) === 3);
    worker.push(
      records(1, { from: 3 }).map((r) => ({ ...r, value: Buffer.from('v1') })),
      4,
    );
    await until(() => lastOf(commits) === 4, 'commit past a batch of filtered records only');
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([[0, 2]]);
    expect(counters.filtered).toBe(2);
  });

  it('keeps every event within the payload limit; a record too big alone is discarded', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const sink = recordingSink();
    const { worker, commits } = testWorker(
      invoker,
      clock,
      { batchSize: 100 },
      { maxPayloadBytes: 1_500, onFailure: sink },
    );
    const input = records(10).map((r) => ({ ...r, value: Buffer.alloc(300, 1) }));
    input[4] = { ...input[4]!, value: Buffer.alloc(2_000, 1) };
    worker.push(input, 10);
    await until(() => lastOf(commits) === 10);
    await worker.stop();
    for (const call of calls)
      expect(Buffer.byteLength(JSON.stringify(call.event))).toBeLessThanOrEqual(1_500);
    expect(calls.flatMap((c) => c.offsets)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(calls.length).toBeGreaterThan(2);
    expect(sink.sent.map((m) => JSON.parse(m.value).requestContext.condition)).toEqual([
      'MaximumPayloadSizeExceeded',
    ]);
  });
});

describe('partition worker: error controls', () => {
  it('retries a failed batch with growing backoff until it succeeds', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker((_, n) => (n <= 2 ? fail() : ok), clock);
    const { worker, commits, counters } = testWorker(invoker, clock, { batchSize: 10 });
    worker.push(records(3), 3);
    await until(() => lastOf(commits) === 3);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([range(0, 2), range(0, 2), range(0, 2)]);
    expect(calls.map((c) => c.at - T0)).toEqual([0, 100, 300]);
    expect(counters).toMatchObject({ invocations: 3, errors: 2, retries: 2, delivered: 3 });
  });

  it('gives up after maximumRetryAttempts and sends the records to the on-failure topic', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(
      (offsets) => (offsets.includes(1) ? fail('bad input') : ok),
      clock,
    );
    const sink = recordingSink();
    const { worker, commits, counters } = testWorker(
      invoker,
      clock,
      { batchSize: 2, maximumRetryAttempts: 2, onFailureTopic: 'dlt' },
      { onFailure: sink },
    );
    worker.push(records(4), 4);
    await until(() => lastOf(commits) === 4);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [2, 3],
    ]);
    expect(sink.sent.map((m) => m.key?.toString())).toEqual(['k0', 'k1']);
    const metadata = JSON.parse(sink.sent[1]!.value);
    expect(metadata).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Error: bad input' },
      version: '1.0',
      KafkaBatchInfo: { batchSize: 1, bootstrapServers: '127.0.0.1:9092', recordInfo: { offset: '1' } },
      payload: { eventSource: 'SelfManagedKafka', records: { 'in-0': [{ offset: 1, value: 'djE=' }] } },
    });
    expect(counters).toMatchObject({ discarded: 2, sentToOnFailure: 2, delivered: 2 });
  });

  it('caps infinite retries at 10 when an on-failure topic is set', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => fail(), clock);
    const sink = recordingSink();
    const { worker, commits } = testWorker(
      invoker,
      clock,
      { batchSize: 5, onFailureTopic: 'dlt' },
      { onFailure: sink },
    );
    worker.push(records(1), 1);
    await until(() => lastOf(commits) === 1);
    await worker.stop();
    expect(calls).toHaveLength(11);
    expect(sink.sent).toHaveLength(1);
  });

  it('retries forever without an on-failure topic (the partition blocks, nothing is committed)', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => fail(), clock);
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 5 });
    worker.push(records(2), 2);
    await until(() => calls.length >= 30, '30 attempts');
    await worker.stop();
    expect(commits.every((offset) => offset === 0)).toBe(true);
  });

  it('bisects a failing batch down to the bad record, without spending retries on splits', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker((offsets) => (offsets.includes(5) ? fail() : ok), clock);
    const sink = recordingSink();
    const { worker, commits, counters } = testWorker(
      invoker,
      clock,
      { batchSize: 8, maximumRetryAttempts: 0, bisectBatchOnFunctionError: true, onFailureTopic: 'dlt' },
      { onFailure: sink },
    );
    worker.push(records(8), 8);
    await until(() => lastOf(commits) === 8);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([
      range(0, 7),
      range(0, 3),
      range(4, 7),
      [4, 5],
      [4],
      [5],
      [6, 7],
    ]);
    expect(sink.sent.map((m) => JSON.parse(m.value).KafkaBatchInfo.recordInfo.offset)).toEqual(['5']);
    expect(JSON.parse(sink.sent[0]!.value).requestContext.approximateInvokeCount).toBe(4);
    expect(counters).toMatchObject({ bisects: 3, delivered: 7, discarded: 1 });
  });

  it('discards records older than maximumRecordAgeInSeconds without invoking on them', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => ok, clock);
    const sink = recordingSink();
    const { worker, commits } = testWorker(
      invoker,
      clock,
      { batchSize: 10, maximumRecordAgeInSeconds: 60, onFailureTopic: 'dlt' },
      { onFailure: sink },
    );
    worker.push([...records(2, { timestamp: T0 - 61_000 }), ...records(2, { from: 2 })], 4);
    await until(() => lastOf(commits) === 4);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([[2, 3]]);
    const conditions = sink.sent.map((m) => JSON.parse(m.value).requestContext);
    expect(conditions).toEqual([
      expect.objectContaining({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 }),
      expect.objectContaining({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 }),
    ]);
  });

  it('stops retrying records that expire while they are retried', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(() => {
      clock.advance(30_000);
      return fail();
    }, clock);
    const { worker, commits, counters } = testWorker(invoker, clock, {
      batchSize: 10,
      maximumRecordAgeInSeconds: 60,
    });
    worker.push(records(1), 1);
    await until(() => lastOf(commits) === 1);
    await worker.stop();
    // t=0 fails (t→30 s), retry at 30.1 s fails (t→60.1 s): at 60.3 s the record is too old.
    expect(calls).toHaveLength(2);
    expect(counters.discarded).toBe(1);
  });

  it('retries from the offset a partial batch response names', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(
      (_, n) =>
        n === 1
          ? {
              ok: true,
              response: { batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 3 } }] },
            }
          : ok,
      clock,
    );
    const { worker, commits, counters } = testWorker(invoker, clock, {
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    worker.push(records(6), 6);
    await until(() => lastOf(commits) === 6);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([range(0, 5), range(3, 5)]);
    expect(commits).toContain(3);
    expect(counters).toMatchObject({ delivered: 6, retries: 1 });
  });

  it('treats a malformed partial batch response as a failure of the whole batch', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(
      (_, n) =>
        n === 1
          ? {
              ok: true,
              response: { batchItemFailures: [{ itemIdentifier: { partition: 'in-7', offset: 3 } }] },
            }
          : ok,
      clock,
    );
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 10, reportBatchItemFailures: true });
    worker.push(records(4), 4);
    await until(() => lastOf(commits) === 4);
    await worker.stop();
    expect(calls.map((c) => c.offsets)).toEqual([range(0, 3), range(0, 3)]);
  });

  it('ignores a batchItemFailures answer when reportBatchItemFailures is off', async () => {
    const clock = fakeClock();
    const { invoker, calls } = scriptedInvoker(
      () => ({
        ok: true,
        response: { batchItemFailures: [{ itemIdentifier: { partition: 'in-0', offset: 0 } }] },
      }),
      clock,
    );
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 10 });
    worker.push(records(2), 2);
    await until(() => lastOf(commits) === 2);
    await worker.stop();
    expect(calls).toHaveLength(1);
  });
});

describe('partition worker: backpressure and shutdown', () => {
  it('pauses fetching when the buffer is full and resumes when it drains', async () => {
    const clock = fakeClock();
    let release: () => void = () => {};
    const { invoker, calls } = scriptedInvoker(
      () =>
        new Promise((resolve) => {
          release = () => resolve(ok);
        }),
      clock,
    );
    const { worker, pauses, commits } = testWorker(invoker, clock, { batchSize: 5 });
    worker.push(records(5), 5);
    await until(() => calls.length === 1);
    worker.push(records(5, { from: 5 }), 10);
    expect(worker.snapshot()).toMatchObject({ buffered: 5, paused: true, inFlight: true });
    expect(pauses.at(-1)).toBe('pause');
    const before = pauses.length;
    release();
    await until(() => calls.length === 2);
    expect(pauses.slice(before)).toEqual(['resume']);
    release();
    await until(() => lastOf(commits) === 10);
    await worker.stop();
  });

  it('on stop, waits for the batch in flight and commits only what succeeded', async () => {
    const clock = fakeClock();
    const { invoker } = scriptedInvoker((offsets) => (offsets[0] === 0 ? ok : fail()), clock);
    const { worker, commits } = testWorker(invoker, clock, { batchSize: 2 });
    worker.push(records(6), 6);
    await until(() => lastOf(commits) === 2);
    await worker.stop();
    expect(lastOf(commits)).toBe(2);
  });

  it('shares a concurrency bound across partitions', async () => {
    const clock = fakeClock();
    const semaphore = createSemaphore(1);
    let active = 0;
    let maxActive = 0;
    const { invoker } = scriptedInvoker(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 2));
      active--;
      return ok;
    }, clock);
    const a = testWorker(invoker, clock, { batchSize: 1 }, { concurrency: semaphore });
    const b = testWorker(invoker, clock, { batchSize: 1 }, { concurrency: semaphore, partition: 1 });
    a.worker.push(records(3), 3);
    b.worker.push(records(3, { partition: 1 }), 3);
    await until(() => lastOf(a.commits) === 3 && lastOf(b.commits) === 3);
    await Promise.all([a.worker.stop(), b.worker.stop()]);
    expect(maxActive).toBe(1);
  });
});
