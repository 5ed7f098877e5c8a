import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../../../../lib/event/decode';
import { MAX_PAYLOAD_BYTES } from '../../../../tools/trigger/payload-size';
import {
  committed,
  emulate,
  produce,
  range,
  readTopic,
  recorder,
  type Seen,
  testKafka,
  testTopic,
  trigger,
} from './helpers';

const poisonous = (seen: Seen) => {
  if (seen.records.some((r) => r.value?.toString() === 'poison')) throw new Error('cannot digest poison');
};
const values = (count: number, poison: number[] = []) =>
  range(0, count - 1).map((i) => ({ key: `key-${i}`, value: poison.includes(i) ? 'poison' : `v${i}` }));

describe('trigger emulator: error controls', () => {
  it('retries a failing record maximumRetryAttempts times, then sends it to the on-failure topic and moves on', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const dlt = await testTopic(kafka, 1, 'dlt');
    await produce(kafka, topic, values(6, [2]));
    const fn = recorder(poisonous);
    const emulator = await emulate(kafka, [
      {
        name: 'retries',
        lambdaName: 'svc-dev-retries',
        handler: fn.handler,
        triggers: [trigger({ topic, batchSize: 1, maximumRetryAttempts: 2, onFailureTopic: dlt })],
      },
    ]);
    await committed(emulator, [6]);

    expect(fn.offsets()).toEqual([0, 1, 2, 2, 2, 3, 4, 5]);
    expect(emulator.stats().triggers[0]).toMatchObject({
      invocations: 8,
      errors: 3,
      retries: 2,
      delivered: 5,
      discarded: 1,
      sentToOnFailure: 1,
    });
    const [failed] = await readTopic(kafka, dlt, 1);
    expect(failed!.key).toBe('key-2');
    const metadata = JSON.parse(failed!.value);
    expect(metadata).toMatchObject({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:svc-dev-retries',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: 'Error: cannot digest poison',
      },
      version: '1.0',
      KafkaBatchInfo: { batchSize: 1, recordInfo: { offset: '2' } },
    });
    const [record] = decodeEvent(metadata.payload).batches[0]!.records;
    expect(record).toMatchObject({ topic, partition: 0, offset: 2 });
    expect(record!.value?.toString()).toBe('poison');
    expect(record!.key?.toString()).toBe('key-2');
  });

  it('bisects a failing batch until only the bad record fails', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const dlt = await testTopic(kafka, 1, 'dlt');
    await produce(kafka, topic, values(10, [6]));
    const fn = recorder(poisonous);
    const emulator = await emulate(kafka, [
      {
        name: 'bisect',
        handler: fn.handler,
        triggers: [
          trigger({
            topic,
            batchSize: 10,
            maximumBatchingWindow: 1,
            maximumRetryAttempts: 0,
            bisectBatchOnFunctionError: true,
            onFailureTopic: dlt,
          }),
        ],
      },
    ]);
    await committed(emulator, [10]);
    expect(fn.seen.map((s) => s.records.map((r) => r.offset))).toEqual([
      range(0, 9),
      range(0, 4),
      range(5, 9),
      range(5, 7),
      [5, 6],
      [5],
      [6],
      [7],
      [8, 9],
    ]);
    const failed = await readTopic(kafka, dlt, 1);
    expect(failed.map((m) => JSON.parse(m.value).KafkaBatchInfo.recordInfo.offset)).toEqual(['6']);
  });

  it('discards records older than maximumRecordAgeInSeconds before invoking', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    const dlt = await testTopic(kafka, 1, 'dlt');
    const hourAgo = Date.now() - 3_600_000;
    await produce(kafka, topic, [
      { value: 'old-0', timestamp: hourAgo },
      { value: 'old-1', timestamp: hourAgo },
      { value: 'new-2' },
      { value: 'new-3' },
    ]);
    const fn = recorder();
    const emulator = await emulate(kafka, [
      {
        name: 'age',
        handler: fn.handler,
        triggers: [trigger({ topic, batchSize: 10, maximumRecordAgeInSeconds: 60, onFailureTopic: dlt })],
      },
    ]);
    await committed(emulator, [4]);
    expect(fn.values()).toEqual(['new-2', 'new-3']);
    const failed = await readTopic(kafka, dlt, 2);
    expect(failed.map((m) => JSON.parse(m.value).requestContext.condition)).toEqual([
      'RecordAgeExceeded',
      'RecordAgeExceeded',
    ]);
  });

  it('retries from the offset of a partial batch response, keeping the records before it', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    await produce(kafka, topic, values(8));
    let failOnce = true;
    const fn = recorder((seen) => {
      const bad = seen.records.find((r) => r.offset === 5);
      if (!bad || !failOnce) return { batchItemFailures: [] };
      failOnce = false;
      return { batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 5 } }] };
    });
    const emulator = await emulate(kafka, [
      {
        name: 'partial',
        handler: fn.handler,
        triggers: [trigger({ topic, batchSize: 8, maximumBatchingWindow: 1, reportBatchItemFailures: true })],
      },
    ]);
    await committed(emulator, [8]);
    expect(fn.seen.map((s) => s.records.map((r) => r.offset))).toEqual([range(0, 7), range(5, 7)]);
  });

  it('delivers only records whose value matches filterPatterns, and commits past the rest', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    await produce(kafka, topic, [
      { value: JSON.stringify({ kind: 'order', total: 5 }) },
      { value: JSON.stringify({ kind: 'refund', total: 5 }) },
      { value: 'plain text' },
      { value: JSON.stringify({ kind: 'order', total: 50 }) },
      { value: JSON.stringify({ kind: 'ping' }) },
    ]);
    const fn = recorder();
    const emulator = await emulate(kafka, [
      {
        name: 'filter',
        handler: fn.handler,
        triggers: [
          trigger({
            topic,
            filterPatterns: [
              { value: { kind: ['order'], total: [{ numeric: ['>', 10] }] } },
              { value: [{ prefix: 'plain' }] },
            ],
          }),
        ],
      },
    ]);
    await committed(emulator, [5]);
    expect(fn.offsets()).toEqual([2, 3]);
    expect(emulator.stats().triggers[0]).toMatchObject({ filtered: 3, delivered: 2 });
  });

  it('keeps each event under the 6 MB payload limit', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1);
    // 700 KB values are ~933 KB in base64: six fit in one event, seven do not.
    const big = range(0, 9).map((i) => ({ value: Buffer.alloc(700 * 1024, i) }));
    // One send per record: the broker caps a record batch at 1 MB (message.max.bytes).
    for (const message of big) await produce(kafka, topic, [message]);
    const fn = recorder();
    const emulator = await emulate(kafka, [
      {
        name: 'payload',
        handler: fn.handler,
        triggers: [trigger({ topic, batchSize: 100, maximumBatchingWindow: 1 })],
      },
    ]);
    await committed(emulator, [10]);
    expect(fn.offsets()).toEqual(range(0, 9));
    expect(fn.seen.map((s) => s.records.length)).toEqual([6, 4]);
    for (const s of fn.seen) expect(s.eventBytes).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });
});
