import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../lib/core/errors';
import { decodeEvent } from '../../../lib/event/decode';
import { encodeEvent, type RawRecordInit, toRawRecord } from '../../../lib/event/encode';
import type { DecodedEvent, EventSource, LambdaKafkaEvent, PartitionBatch } from '../../../lib/event/types';

function fixture(name: 'msk' | 'self-managed'): LambdaKafkaEvent {
  return JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));
}

/** What Lambda hands the function is JSON text: round trip through it, never through shared objects. */
function overTheWire(event: LambdaKafkaEvent): unknown {
  return JSON.parse(JSON.stringify(event));
}

const SERVERS = ['127.0.0.1:9092'];
const record = (init: Partial<RawRecordInit> = {}) =>
  toRawRecord({ topic: 't', partition: 0, offset: 0, ...init });

function expectMalformed(encode: () => unknown, path: string): void {
  let caught: unknown;
  try {
    encode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MalformedEventError);
  expect((caught as MalformedEventError).path).toBe(path);
}

describe('encodeEvent: reproduces the documented wire format', () => {
  it('re-encodes the MSK example byte for byte, field order included', () => {
    const original = fixture('msk');
    const decoded = decodeEvent(original);
    const encoded = encodeEvent({
      eventSource: decoded.eventSource,
      eventSourceArn: decoded.eventSourceArn,
      bootstrapServers: decoded.bootstrapServers,
      records: decoded.batches.flatMap((b) => b.records),
    });
    expect(JSON.stringify(encoded)).toBe(JSON.stringify(original));
  });

  it('re-encodes the self-managed example, with no ARN and the same key bytes', () => {
    const original = fixture('self-managed');
    const decoded = decodeEvent(original);
    const encoded = encodeEvent({
      eventSource: decoded.eventSource,
      bootstrapServers: decoded.bootstrapServers,
      records: decoded.batches.flatMap((b) => b.records),
    });
    expect('eventSourceArn' in encoded).toBe(false);
    // AWS's example key has non-zero trailing bits, so only its bytes (not its text) survive.
    const { key, ...rest } = encoded.records['mytopic-0']?.[0] ?? {};
    const { key: originalKey, ...originalRest } = original.records['mytopic-0']?.[0] ?? {};
    expect(rest).toEqual(originalRest);
    expect(Buffer.from(key ?? '', 'base64')).toEqual(Buffer.from(originalKey ?? '', 'base64'));
  });
});

describe('encodeEvent: event source', () => {
  it('defaults to SelfManagedKafka without an ARN', () => {
    const event = encodeEvent({ bootstrapServers: SERVERS, records: [] });
    expect(event).toStrictEqual({
      eventSource: 'SelfManagedKafka',
      bootstrapServers: '127.0.0.1:9092',
      records: {},
    });
  });

  it('defaults to aws:kafka when an ARN is given', () => {
    const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/c/1';
    const event = encodeEvent({ eventSourceArn: arn, bootstrapServers: SERVERS, records: [] });
    expect([event.eventSource, event.eventSourceArn]).toEqual(['aws:kafka', arn]);
  });

  it.each([undefined, '', 'cluster/c/1'])('requires an ARN for aws:kafka (got %j), inventing none', (arn) => {
    expectMalformed(
      () =>
        encodeEvent({
          eventSource: 'aws:kafka',
          eventSourceArn: arn,
          bootstrapServers: SERVERS,
          records: [],
        }),
      'eventSourceArn',
    );
  });
});

describe('encodeEvent: bootstrap servers', () => {
  it('joins a list with commas', () => {
    expect(encodeEvent({ bootstrapServers: ['a:1', ' b:2 '], records: [] }).bootstrapServers).toBe('a:1,b:2');
  });

  it('normalises a comma-separated string', () => {
    expect(encodeEvent({ bootstrapServers: ' a:1 ,, b:2,', records: [] }).bootstrapServers).toBe('a:1,b:2');
  });

  it.each([[[]], [''], [[' ']], [['a:1,b:2']]])('rejects %j', (servers) => {
    expectMalformed(() => encodeEvent({ bootstrapServers: servers, records: [] }), 'bootstrapServers');
  });
});

describe('encodeEvent: records', () => {
  it('groups by topic-partition in first-seen order, keeping record order', () => {
    const records = [
      record({ topic: 'a.b-c', partition: 1, offset: 5 }),
      record({ topic: 'a.b', partition: 0, offset: 9 }),
      record({ topic: 'a.b-c', partition: 1, offset: 6 }),
      record({ topic: 'a.b-c', partition: 10, offset: 1 }),
      record({ topic: 'a.b', partition: 0, offset: 10 }),
    ];
    const event = encodeEvent({ bootstrapServers: SERVERS, records });
    expect(Object.entries(event.records).map(([key, list]) => [key, list.map((r) => r.offset)])).toEqual([
      ['a.b-c-1', [5, 6]],
      ['a.b-0', [9, 10]],
      ['a.b-c-10', [1]],
    ]);
  });

  it('omits a null key, as Lambda does', () => {
    const wire = encodeEvent({ bootstrapServers: SERVERS, records: [record({ key: null, value: 'v' })] })
      .records['t-0'];
    expect(wire?.[0]).not.toHaveProperty('key');
  });

  it('omits an empty key buffer too (the wire cannot carry one)', () => {
    const raw = { ...record(), key: Buffer.alloc(0) };
    const wire = encodeEvent({ bootstrapServers: SERVERS, records: [raw] }).records['t-0'];
    expect(wire?.[0]).not.toHaveProperty('key');
  });

  it('encodes key and value as base64, a tombstone as null and an empty value as ""', () => {
    const records = [
      record({ offset: 0, key: 'recordKey', value: '{"key":"value"}' }),
      record({ offset: 1, key: 'k', value: null }),
      record({ offset: 2, key: 'k', value: '' }),
    ];
    const wire = encodeEvent({ bootstrapServers: SERVERS, records }).records['t-0'] ?? [];
    expect(wire.map((r) => [r.key, r.value])).toEqual([
      ['cmVjb3JkS2V5', 'eyJrZXkiOiJ2YWx1ZSJ9'],
      ['aw==', null],
      ['aw==', ''],
    ]);
  });

  it('encodes header bytes as Java signed bytes, keeping repeated names in order', () => {
    const raw = record({
      headers: [
        { key: 'trace', value: Buffer.from([0, 127, 128, 255]) },
        { key: 'trace', value: 'ab' },
        { key: '__proto__', value: 'x' },
      ],
    });
    const headers =
      encodeEvent({ bootstrapServers: SERVERS, records: [raw] }).records['t-0']?.[0]?.headers ?? [];
    expect(headers).toHaveLength(3);
    expect(headers[0]).toEqual({ trace: [0, 127, -128, -1] });
    expect(headers[1]).toEqual({ trace: [97, 98] });
    expect(Object.keys(headers[2] ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(headers[2])).toBe('{"__proto__":[120]}');
  });

  it('passes schema metadata through only when present', () => {
    const withMetadata = record({
      offset: 0,
      keySchemaMetadata: { dataFormat: 'JSON', schemaId: 'k-1' },
      valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '17' },
    });
    const wire = encodeEvent({ bootstrapServers: SERVERS, records: [withMetadata, record({ offset: 1 })] })
      .records['t-0'];
    expect(wire?.[0]?.keySchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: 'k-1' });
    expect(wire?.[0]?.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '17' });
    expect(wire?.[1]).not.toHaveProperty('keySchemaMetadata');
    expect(wire?.[1]).not.toHaveProperty('valueSchemaMetadata');
  });

  it('does not reorder records: out-of-order input is left for decodeEvent to reject', () => {
    const event = encodeEvent({
      bootstrapServers: SERVERS,
      records: [record({ offset: 2 }), record({ offset: 1 })],
    });
    expect(event.records['t-0']?.map((r) => r.offset)).toEqual([2, 1]);
    expect(() => decodeEvent(event)).toThrow(MalformedEventError);
  });
});

describe('toRawRecord', () => {
  it('fills deterministic defaults', () => {
    expect(toRawRecord({ topic: 't', partition: 2, offset: 3 })).toStrictEqual({
      topic: 't',
      partition: 2,
      offset: 3,
      timestamp: 0,
      timestampType: 'CREATE_TIME',
      key: null,
      value: null,
      headers: [],
    });
  });

  it('encodes strings as UTF-8 and accepts bytes', () => {
    const raw = toRawRecord({
      topic: 't',
      partition: 0,
      offset: 0,
      key: 'clé',
      value: new Uint8Array([1, 2]),
      headers: [{ key: 'h', value: 'ü' }],
      timestamp: 1718237343835,
      timestampType: 'LOG_APPEND_TIME',
    });
    expect(raw.key).toEqual(Buffer.from('clé', 'utf8'));
    expect(raw.value).toEqual(Buffer.from([1, 2]));
    expect(Buffer.isBuffer(raw.value)).toBe(true);
    expect(raw.headers).toEqual([{ key: 'h', value: Buffer.from('ü', 'utf8') }]);
    expect([raw.timestamp, raw.timestampType]).toEqual([1718237343835, 'LOG_APPEND_TIME']);
  });

  it.each([undefined, null, '', new Uint8Array(0)])(
    'normalises key %j to null, as decodeEvent returns it',
    (key) => {
      expect(toRawRecord({ topic: 't', partition: 0, offset: 0, key }).key).toBeNull();
    },
  );

  it('copies bytes, so later changes to the source do not leak in', () => {
    const source = Buffer.from('abc');
    const raw = toRawRecord({ topic: 't', partition: 0, offset: 0, value: source });
    source[0] = 0x7a;
    expect(raw.value?.toString()).toBe('abc');
  });
});

describe('round trip: decodeEvent(encodeEvent(x)) gives back x', () => {
  const topic = fc
    .string({ unit: fc.constantFrom('a', 'b', 'Z', '0', '9', '.', '-', '_'), minLength: 1, maxLength: 12 })
    .filter((t) => t !== '.' && t !== '..');
  const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
  const key = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(''), bytes(24), fc.string());
  const value = fc.oneof(fc.constant(null), fc.constant(''), bytes(64), fc.string());
  const headerName = fc.oneof(
    fc.constantFrom('trace', 'content-type', '__proto__', ''),
    fc.string({ maxLength: 8 }),
  );
  const headers = fc.array(fc.record({ key: headerName, value: fc.oneof(bytes(16), fc.string()) }), {
    maxLength: 5,
  });
  const metadata = fc.option(
    fc.record({
      dataFormat: fc.constantFrom('AVRO', 'JSON', 'PROTOBUF'),
      schemaId: fc.string({ minLength: 1 }),
    }),
    { nil: undefined },
  );
  const recordFields = fc.record(
    {
      key,
      value,
      headers,
      timestamp: fc.integer({ min: -1, max: 2 ** 42 }),
      timestampType: fc.constantFrom('CREATE_TIME', 'LOG_APPEND_TIME', 'NO_TIMESTAMP_TYPE'),
      keySchemaMetadata: metadata,
      valueSchemaMetadata: metadata,
    },
    { requiredKeys: ['value', 'timestamp', 'timestampType'] },
  );
  const partition = fc.record({
    topic,
    partition: fc.integer({ min: 0, max: 5000 }),
    // Offsets are unique and sorted below: Kafka hands a partition's records in offset order.
    records: fc.uniqueArray(fc.tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER }), recordFields), {
      selector: ([offset]) => offset,
      maxLength: 6,
    }),
  });
  const source = fc.oneof(
    fc.constant({ eventSource: 'SelfManagedKafka' as EventSource }),
    fc.constant({
      eventSource: 'aws:kafka' as EventSource,
      eventSourceArn: 'arn:aws:kafka:eu-west-1:1:cluster/c/u-1',
    }),
  );
  const input = fc.record({
    source,
    bootstrapServers: fc.array(fc.constantFrom('127.0.0.1:9092', 'b-1.kafka.local:9098', 'broker:19092'), {
      minLength: 1,
      maxLength: 3,
    }),
    partitions: fc.uniqueArray(partition, { selector: (p) => `${p.topic}-${p.partition}`, maxLength: 5 }),
  });

  it('holds for random topics, partitions, keys, tombstones, repeated headers and signed bytes', () => {
    fc.assert(
      fc.property(input, ({ source, bootstrapServers, partitions }) => {
        const batches: PartitionBatch[] = partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          records: [...p.records]
            .sort(([a], [b]) => a - b)
            .map(([offset, fields]) =>
              toRawRecord({ ...fields, topic: p.topic, partition: p.partition, offset }),
            ),
        }));
        const expected: DecodedEvent = {
          ...source,
          bootstrapServers,
          batches: batches.filter((b) => b.records.length > 0),
        };
        const event = encodeEvent({
          ...source,
          bootstrapServers,
          records: batches.flatMap((b) => b.records),
        });
        expect(decodeEvent(overTheWire(event))).toStrictEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
