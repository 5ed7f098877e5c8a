import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '../../../lib/core/errors';
import { decodeEvent, decodeEventPartitions } from '../../../lib/event/decode';

// biome-ignore lint/suspicious/noExplicitAny: tests bend real fixtures into malformed shapes on purpose
type Json = Record<string, any>;

/** A fresh copy of a real event fixture per call, so tests can mutate it freely. */
function fixture(name: 'msk' | 'self-managed' | 'msk-multi-partition'): Json {
  return JSON.parse(readFileSync(new URL(`../../events/${name}.json`, import.meta.url), 'utf8'));
}

/** The MSK example's first record, for tests that break one field of it. */
function firstRecord(event: Json): Json {
  return event.records['mytopic-0'][0];
}

function expectMalformed(event: unknown, path: string): MalformedEventError {
  let caught: unknown;
  try {
    decodeEvent(event);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MalformedEventError);
  const error = caught as MalformedEventError;
  expect(error.path).toBe(path);
  expect(error.code).toBe('MALFORMED_EVENT');
  expect(error.retriable).toBe(false);
  expect(error.message).toContain(`${path} must be`);
  return error;
}

const utf8 = (b: Buffer | null | undefined) => b?.toString('utf8');

describe('decodeEvent: documented example events', () => {
  it('decodes the MSK example (aws:kafka)', () => {
    const decoded = decodeEvent(fixture('msk'));
    expect(decoded.eventSource).toBe('aws:kafka');
    expect(decoded.eventSourceArn).toBe(
      'arn:aws:kafka:us-east-1:0123456789019:cluster/SalesCluster/abcd1234-abcd-cafe-abab-9876543210ab-4',
    );
    expect(decoded.bootstrapServers).toEqual([
      'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
      'b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
    ]);
    expect(decoded.batches).toHaveLength(1);
    const [batch] = decoded.batches;
    expect(batch?.topic).toBe('mytopic');
    expect(batch?.partition).toBe(0);
    const [record] = batch?.records ?? [];
    expect(record).toMatchObject({
      topic: 'mytopic',
      partition: 0,
      offset: 15,
      timestamp: 1545084650987,
      timestampType: 'CREATE_TIME',
    });
    expect(utf8(record?.key)).toBe('recordKey');
    expect(utf8(record?.value)).toBe('{"key":"value"}');
    expect(record?.headers.map((h) => [h.key, utf8(h.value)])).toEqual([['headerKey', 'headerValue']]);
    expect(record && 'keySchemaMetadata' in record).toBe(false);
  });

  it('decodes the self-managed example (SelfManagedKafka, no ARN, non-canonical base64 key)', () => {
    const decoded = decodeEvent(fixture('self-managed'));
    expect(decoded.eventSource).toBe('SelfManagedKafka');
    expect('eventSourceArn' in decoded).toBe(false);
    const record = decoded.batches[0]?.records[0];
    // AWS's example key ends in "4==" with non-zero trailing bits: accepted, as Node decodes it.
    expect(record?.key).toEqual(Buffer.from('abcDEFghiJKLmnoPQRstuVWXyz1234==', 'base64'));
    expect(utf8(record?.value)).toBe('Hello, this is a test.');
  });

  it('decodes several topics and partitions, one batch each, in event order, skipping empty ones', () => {
    const decoded = decodeEvent(fixture('msk-multi-partition'));
    expect(decoded.batches.map((b) => [b.topic, b.partition, b.records.map((r) => r.offset)])).toEqual([
      ['orders.v1-eu', 0, [100, 101, 104]],
      ['orders.v1-eu', 12, [7, 8]],
      ['payments', 3, [0]],
    ]);
  });

  it('trims bootstrap servers and drops empty entries', () => {
    expect(decodeEvent(fixture('msk-multi-partition')).bootstrapServers).toEqual([
      'b-1.orders-cluster.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
      'b-2.orders-cluster.abc123.c2.kafka.eu-west-1.amazonaws.com:9098',
    ]);
  });

  it('reads topic and partition from records, so topics with hyphens and dots work', () => {
    const event = fixture('msk');
    const record = firstRecord(event);
    event.records = { 'a.b-c-1': [{ ...record, topic: 'a.b-c', partition: 1 }] };
    const [batch] = decodeEvent(event).batches;
    expect([batch?.topic, batch?.partition]).toEqual(['a.b-c', 1]);
  });
});

describe('decodeEvent: keys, values, headers', () => {
  const batches = () => decodeEvent(fixture('msk-multi-partition')).batches;

  it('treats an absent, null or "" key as no key', () => {
    const [orders0, orders12] = batches();
    expect(orders0?.records[1]?.key).toBeNull(); // key field absent
    expect(orders12?.records[0]?.key).toBeNull(); // key: null
    expect(orders12?.records[1]?.key).toBeNull(); // key: ""
    expect(utf8(orders0?.records[0]?.key)).toBe('order-1');
  });

  it('decodes a null value as a tombstone and "" as an empty value', () => {
    const [orders0, orders12] = batches();
    expect(orders0?.records[2]?.value).toBeNull();
    expect(orders12?.records[1]?.value).toEqual(Buffer.alloc(0));
  });

  it('treats an absent value as a tombstone (seen from real triggers)', () => {
    const event = fixture('msk');
    delete firstRecord(event).value;
    expect(decodeEvent(event).batches[0]?.records[0]?.value).toBeNull();
  });

  it('decodes binary values exactly', () => {
    const payments = batches()[2];
    expect(payments?.records[0]?.value).toEqual(Buffer.from([0, 1, 2, 3, 4, 255]));
  });

  it('keeps repeated header keys in order and maps signed bytes to unsigned', () => {
    const headers = batches()[0]?.records[0]?.headers ?? [];
    expect(headers.map((h) => h.key)).toEqual(['trace', 'trace', 'content-type']);
    expect(utf8(headers[0]?.value)).toBe('abc');
    expect([...(headers[1]?.value ?? [])]).toEqual([255, 128, 0, 127]);
    expect(utf8(headers[2]?.value)).toBe('json');
  });

  it('accepts unsigned bytes 128..255 as well', () => {
    const event = fixture('msk');
    firstRecord(event).headers = [{ h: [128, 255, 0] }];
    expect([...(decodeEvent(event).batches[0]?.records[0]?.headers[0]?.value ?? [])]).toEqual([128, 255, 0]);
  });

  it('treats absent headers as none (older triggers sent none)', () => {
    const event = fixture('msk');
    delete firstRecord(event).headers;
    expect(decodeEvent(event).batches[0]?.records[0]?.headers).toEqual([]);
  });

  it('passes schema metadata through', () => {
    const record = batches()[2]?.records[0];
    expect(record?.keySchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: 'key-schema-001' });
    expect(record?.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '1234' });
  });

  it('accepts every timestamp type, and -1 with NO_TIMESTAMP_TYPE', () => {
    const event = fixture('msk');
    const record = firstRecord(event);
    const types = ['CREATE_TIME', 'LOG_APPEND_TIME', 'NO_TIMESTAMP_TYPE'];
    event.records['mytopic-0'] = types.map((timestampType, i) => ({
      ...record,
      offset: i,
      timestampType,
      timestamp: timestampType === 'NO_TIMESTAMP_TYPE' ? -1 : record.timestamp,
    }));
    const records = decodeEvent(event).batches[0]?.records ?? [];
    expect(records.map((r) => [r.timestampType, r.timestamp])).toEqual([
      ['CREATE_TIME', 1545084650987],
      ['LOG_APPEND_TIME', 1545084650987],
      ['NO_TIMESTAMP_TYPE', -1],
    ]);
  });

  it('keeps an ARN sent with a self-managed event, and allows an empty records object', () => {
    const event = fixture('self-managed');
    event.eventSourceArn = 'arn:aws:lambda:us-east-1:123456789012:event-source-mapping:1';
    event.records = {};
    const decoded = decodeEvent(event);
    expect(decoded.eventSourceArn).toBe(event.eventSourceArn);
    expect(decoded.batches).toEqual([]);
  });
});

describe('decodeEvent: malformed events name the path', () => {
  it.each([null, [], 'event', 42])('rejects a non-object event (%j)', (event) => {
    expectMalformed(event, 'event');
  });

  it.each([undefined, null, [], 'x'])('rejects records %j', (records) => {
    const event = fixture('msk');
    event.records = records;
    expectMalformed(event, 'records');
  });

  it('rejects a partition list that is not an array', () => {
    const event = fixture('msk');
    event.records['mytopic-0'] = { 0: firstRecord(event) };
    expectMalformed(event, 'records["mytopic-0"]');
  });

  it.each([null, 'record', []])('rejects a record that is not an object (%j)', (record) => {
    const event = fixture('msk');
    event.records['mytopic-0'] = [record];
    expectMalformed(event, 'records["mytopic-0"][0]');
  });

  it.each([
    ['another topic', { topic: 'othertopic' }],
    ['another partition', { partition: 1 }],
    ['a topic that only shares the prefix', { topic: 'my' }],
  ])('rejects a record of %s than its key names', (_, change) => {
    const event = fixture('msk');
    Object.assign(firstRecord(event), change);
    const error = expectMalformed(event, 'records["mytopic-0"][0]');
    expect(error.message).toContain('mytopic-0');
  });

  it('rejects a record whose partition disagrees with a key of a hyphenated topic', () => {
    const event = fixture('msk');
    event.records = { 'a.b-c-1': [{ ...firstRecord(event), topic: 'a.b-c', partition: 2 }] };
    expectMalformed(event, 'records["a.b-c-1"][0]');
  });

  it.each([undefined, '', 'has space', 'ümlaut', '.', '..', 'x'.repeat(250), 7])(
    'rejects topic %j',
    (topic) => {
      const event = fixture('msk');
      firstRecord(event).topic = topic;
      expectMalformed(event, 'records["mytopic-0"][0].topic');
    },
  );

  it.each([undefined, -1, 0.5, '0', null, 2 ** 53])('rejects partition %j', (partition) => {
    const event = fixture('msk');
    firstRecord(event).partition = partition;
    expectMalformed(event, 'records["mytopic-0"][0].partition');
  });

  it.each([undefined, -1, 1.5, '15', null, 2 ** 53, Number.NaN])('rejects offset %j', (offset) => {
    const event = fixture('msk');
    firstRecord(event).offset = offset;
    expectMalformed(event, 'records["mytopic-0"][0].offset');
  });

  it.each([
    ['a repeated offset', [1, 2, 3, 3]],
    ['a decreasing offset', [1, 2, 3, 0]],
  ])('rejects %s, naming the record', (_, offsets) => {
    const event = fixture('msk');
    const record = firstRecord(event);
    event.records = { 'orders-0': offsets.map((offset) => ({ ...record, topic: 'orders', offset })) };
    const error = expectMalformed(event, 'records["orders-0"][3].offset');
    expect(error.message).toContain('previous offset 3');
  });

  it.each([undefined, '1545084650987', 1.5, -2, null])('rejects timestamp %j', (timestamp) => {
    const event = fixture('msk');
    firstRecord(event).timestamp = timestamp;
    expectMalformed(event, 'records["mytopic-0"][0].timestamp');
  });

  const badBase64 = [
    ['a character outside the alphabet', 'cmVj!3JkS2V5'],
    ['a length that is not a multiple of 4', 'cmVjb3JkS2V'],
    ['base64url characters', 'cmVj-_JkS2V5'],
    ['whitespace', 'cmVj b3JkS2V5'],
    ['a newline', 'cmVjb3Jk\nS2V5'],
    ['padding in the middle', 'cm==b3JkS2V5'],
    ['three padding characters', 'cmVjb==='],
    ['a number', 42],
    ['an object', {}],
  ] as const;

  it.each(badBase64)('rejects a key with %s', (_, key) => {
    const event = fixture('msk');
    firstRecord(event).key = key;
    expectMalformed(event, 'records["mytopic-0"][0].key');
  });

  it.each(badBase64)('rejects a value with %s', (_, value) => {
    const event = fixture('msk');
    firstRecord(event).value = value;
    expectMalformed(event, 'records["mytopic-0"][0].value');
  });

  it.each([{}, 'aGVhZGVy', null])('rejects headers that are not an array (%j)', (headers) => {
    const event = fixture('msk');
    firstRecord(event).headers = headers;
    expectMalformed(event, 'records["mytopic-0"][0].headers');
  });

  it.each([
    ['an empty object', {}],
    ['an object with two keys', { a: [1], b: [2] }],
    ['an array', [[1, 2]]],
    ['null', null],
    ['a string', 'a=b'],
  ])('rejects a header that is %s, naming its index', (_, header) => {
    const event = fixture('msk');
    firstRecord(event).headers = [{ ok: [1] }, { ok: [2] }, header];
    expectMalformed(event, 'records["mytopic-0"][0].headers[2]');
  });

  it('names the full path inside a topic with dots and hyphens', () => {
    const event = fixture('msk');
    const record = {
      ...firstRecord(event),
      topic: 'a.b-c',
      partition: 1,
      headers: [{ x: [1] }, { y: [2] }, {}],
    };
    event.records = { 'a.b-c-1': [record] };
    expectMalformed(event, 'records["a.b-c-1"][0].headers[2]');
  });

  it.each(['aGVhZGVy', null, { 0: 104 }])('rejects header bytes that are not an array (%j)', (bytes) => {
    const event = fixture('msk');
    firstRecord(event).headers = [{ 'trace-id': bytes }];
    expectMalformed(event, 'records["mytopic-0"][0].headers[0]["trace-id"]');
  });

  it.each([256, -129, 1.5, '1', null])('rejects header byte %j, naming its index', (byte) => {
    const event = fixture('msk');
    firstRecord(event).headers = [{ h: [1] }, { h: [104, 105, byte] }];
    expectMalformed(event, 'records["mytopic-0"][0].headers[1]["h"][2]');
  });

  it('reports the first bad record of a later partition', () => {
    const event = fixture('msk-multi-partition');
    event.records['payments-3'][0].offset = -5;
    expectMalformed(event, 'records["payments-3"][0].offset');
  });
});

describe('decodeEvent: lenient on what Sluice does not use', () => {
  it.each([undefined, 'aws:SelfManagedKafka', 'selfmanagedkafka', 1])(
    'accepts eventSource %j, keeping it when it is a string',
    (eventSource) => {
      const event = fixture('msk');
      event.eventSource = eventSource;
      const decoded = decodeEvent(event);
      expect(decoded.eventSource).toBe(typeof eventSource === 'string' ? eventSource : undefined);
      expect(decoded.batches).toHaveLength(1);
    },
  );

  it.each([undefined, null, '', 'cluster/SalesCluster', 42])('accepts an eventSourceArn of %j', (arn) => {
    const event = fixture('msk');
    event.eventSourceArn = arn;
    expect(decodeEvent(event).eventSourceArn).toBe(typeof arn === 'string' ? arn : undefined);
  });

  it.each([undefined, null, ['a:9092'], '', ' , ,'])('accepts bootstrapServers %j as none', (servers) => {
    const event = fixture('msk');
    if (servers === undefined) delete event.bootstrapServers;
    else event.bootstrapServers = servers;
    expect(decodeEvent(event).bootstrapServers).toEqual([]);
  });

  it.each([undefined, 'create_time', 'SOME_FUTURE_TYPE', 0])('accepts timestampType %j', (timestampType) => {
    const event = fixture('msk');
    firstRecord(event).timestampType = timestampType;
    const record = decodeEvent(event).batches[0]?.records[0];
    expect(record?.timestampType).toBe(typeof timestampType === 'string' ? timestampType : undefined);
  });

  it.each(['keySchemaMetadata', 'valueSchemaMetadata'] as const)(
    'keeps the %s fields that are present, and ignores the rest',
    (field) => {
      const cases: Array<[unknown, unknown]> = [
        [{ dataFormat: 'AVRO' }, { dataFormat: 'AVRO' }],
        [{ schemaId: '1' }, { schemaId: '1' }],
        [{ dataFormat: 'AVRO', schemaId: 1, extra: true }, { dataFormat: 'AVRO' }],
        [{}, {}],
        [null, undefined],
        ['AVRO', undefined],
      ];
      for (const [metadata, kept] of cases) {
        const event = fixture('msk');
        firstRecord(event)[field] = metadata;
        expect(decodeEvent(event).batches[0]?.records[0]?.[field]).toEqual(kept);
      }
    },
  );

  it('ignores unknown fields at every level', () => {
    const event = fixture('msk');
    event.newTopLevelField = { anything: 1 };
    firstRecord(event).leaderEpoch = 7;
    firstRecord(event).headers.push({ more: [1] });
    const record = decodeEvent(event).batches[0]?.records[0];
    expect(record && Object.keys(record).sort()).toEqual(
      ['headers', 'key', 'offset', 'partition', 'timestamp', 'timestampType', 'topic', 'value'].sort(),
    );
  });
});

describe('decodeEventPartitions: one malformed partition batch does not hide the others', () => {
  it('returns the good batches and each bad one with its error and first offset', () => {
    const event = fixture('msk-multi-partition');
    event.records['orders.v1-eu-12'][1].value = 'not base64!';
    event.records['payments-3'][0].offset = 'x';
    const { partitions } = decodeEventPartitions(event);
    expect(partitions.map((p) => [p.key, p.ok])).toEqual([
      ['orders.v1-eu-0', true],
      ['orders.v1-eu-12', false],
      ['payments-3', false],
    ]);
    const [, orders12, payments] = partitions;
    expect(orders12?.ok === false && [orders12.error.path, orders12.firstOffset]).toEqual([
      'records["orders.v1-eu-12"][1].value',
      7,
    ]);
    expect(payments?.ok === false && [payments.error.path, payments.firstOffset]).toEqual([
      'records["payments-3"][0].offset',
      undefined,
    ]);
  });

  it.each([null, 'x', []])('still throws when there is nothing to split (records %j)', (records) => {
    const event = fixture('msk');
    event.records = records;
    expect(() => decodeEventPartitions(event)).toThrow('malformed Kafka event: records must be an object');
  });
});
