import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEvent, toRawRecord } from '../../../../lib/event/encode';
import { createBatcher } from '../../../../tools/trigger/batcher';
import {
  encodeEventJson,
  envelopeBytes,
  eventBytes,
  MAX_PAYLOAD_BYTES,
  toEventRecord,
} from '../../../../tools/trigger/payload-size';

const options = {
  batchSize: 3,
  windowMs: 500,
  maxPayloadBytes: 1_000,
  envelopeBytes: 100,
  maxBufferedRecords: 3,
  maxBufferedBytes: 10_000,
};

describe('batcher', () => {
  it('is ready at once with batchSize records, else when the window of the oldest record ends', () => {
    const b = createBatcher<number>(options);
    expect(b.readyAt()).toBeNull();
    b.push(1, 10, 1_000);
    b.push(2, 10, 1_200);
    expect(b.readyAt()).toBe(1_500);
    b.push(3, 10, 1_300);
    expect(b.readyAt()).toBe(1_000);
    b.push(4, 10, 1_400);
    expect(b.take().map((e) => e.record)).toEqual([1, 2, 3]);
    expect(b.readyAt()).toBe(1_900);
    expect(b.take().map((e) => e.record)).toEqual([4]);
    expect(b.length).toBe(0);
  });

  it('is ready at once when the next record would pass the payload limit, and cuts there', () => {
    const b = createBatcher<string>({ ...options, batchSize: 100, maxBufferedRecords: 100 });
    b.push('a', 500, 0);
    expect(b.readyAt()).toBe(500);
    b.push('b', 400, 0);
    expect(b.readyAt()).toBe(0);
    b.push('c', 10, 0);
    expect(b.take().map((e) => e.record)).toEqual(['a']);
    expect(b.take().map((e) => e.record)).toEqual(['b', 'c']);
  });

  it('always takes at least one record, even one bigger than the limit', () => {
    const b = createBatcher<string>(options);
    b.push('huge', 5_000, 0);
    b.push('small', 1, 0);
    expect(b.take().map((e) => e.record)).toEqual(['huge']);
  });

  it('reports full() past either buffer bound', () => {
    const b = createBatcher<number>({ ...options, maxBufferedRecords: 2, maxBufferedBytes: 50 });
    b.push(1, 10, 0);
    expect(b.full()).toBe(false);
    b.push(2, 10, 0);
    expect(b.full()).toBe(true);
    b.take();
    expect(b.full()).toBe(false);
    b.push(3, 60, 0);
    expect(b.full()).toBe(true);
    expect(b.bytes).toBe(60);
  });

  it('keeps records in order over many pushes and takes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 }), (ops) => {
        const b = createBatcher<number>({ ...options, maxBufferedRecords: 10_000 });
        let next = 0;
        const out: number[] = [];
        for (const op of ops) {
          if (op === 0) out.push(...b.take().map((e) => e.record));
          else for (let i = 0; i < op; i++) b.push(next++, 50, 0);
        }
        while (b.length > 0) out.push(...b.take().map((e) => e.record));
        expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
      }),
    );
  });
});

describe('payload size', () => {
  it('builds exactly the JSON.stringify of the event, and computes its byte length', () => {
    const bytes = fc.uint8Array({ maxLength: 6 }).map((array) => Buffer.from(array));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.option(fc.string(), { nil: null }),
            value: fc.option(fc.string({ unit: 'grapheme' }), { nil: null }),
            headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme' }), value: bytes }), {
              maxLength: 3,
            }),
            timestamp: fc.integer({ min: -1, max: 2 ** 45 }),
            timestampType: fc.constantFrom('CREATE_TIME', 'LOG_APPEND_TIME', 'NO_TIMESTAMP_TYPE' as const),
            schema: fc.boolean(),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.boolean(),
        fc.constantFrom('tópico.x', 'orders', 'a"b\\c'),
        (items, msk, topic) => {
          const envelope = msk
            ? {
                eventSource: 'aws:kafka' as const,
                eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c/abc',
                bootstrapServers: ['b-1:9092', 'b-2:9092'],
              }
            : { eventSource: 'SelfManagedKafka' as const, bootstrapServers: ['127.0.0.1:29092'] };
          const records = items.map((item, i) =>
            toRawRecord({
              topic,
              partition: 3,
              offset: 1_000 + i,
              key: item.key,
              value: item.value,
              headers: item.headers,
              timestamp: item.timestamp,
              timestampType: item.timestampType,
              ...(item.schema && { valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '1' } }),
            }),
          );
          // The reference: the plain object encoder, stringified.
          const expected = JSON.stringify(encodeEvent({ ...envelope, records }));
          expect(encodeEventJson(envelope, records)).toBe(expected);
          const sizes = records.map((record) => toEventRecord(record).size);
          expect(eventBytes(envelopeBytes(envelope, topic, 3), sizes)).toBe(Buffer.byteLength(expected));
        },
      ),
    );
  });

  it('is 6 MiB, Lambda’s synchronous invocation payload quota', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(6_291_456);
  });
});
