/**
 * Builds the exact event JSON Lambda's Kafka trigger sends, from plain records: used by the local
 * emulator and by tests, so both feed handlers the same bytes as production.
 *
 * Wire format: https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (MSK) and
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html (self-managed).
 */
import { MalformedEventError } from '../core/errors';
import type {
  EventSource,
  LambdaKafkaEvent,
  LambdaKafkaRecord,
  RawRecord,
  SchemaMetadata,
  TimestampType,
} from './types';

export interface EncodeEventInput {
  /** Default: `aws:kafka` when `eventSourceArn` is given, else `SelfManagedKafka`. */
  eventSource?: EventSource | (string & {});
  /** Required for `aws:kafka` (the MSK cluster ARN); Lambda sends none for self-managed Kafka. */
  eventSourceArn?: string;
  /** host:port list, or the comma-separated string Lambda sends; left out of the event when undefined. */
  bootstrapServers: string[] | string | undefined;
  /** Grouped by topic-partition in first-seen order; each group keeps the given record order. */
  records: RawRecord[];
}

/**
 * Encodes records as one Lambda Kafka event: `records` keyed `<topic>-<partition>`, keys and values
 * base64, header bytes as Java signed bytes (-128..127), a null (or empty) key omitted as Lambda does,
 * a tombstone's value `null`.
 *
 * No default ARN is invented: an MSK event without its cluster ARN is an error, because a made-up ARN
 * would silently end up in logs, metrics and checkpoints. Record order and ranges are not checked here
 * (tests use this to build malformed events); `decodeEvent` checks them.
 *
 * @throws {MalformedEventError} when `eventSource` is `aws:kafka` without an ARN, or no bootstrap server.
 * @example
 * ```ts
 * const event = encodeEvent({
 *   bootstrapServers: ['127.0.0.1:9092'],
 *   records: [toRawRecord({ topic: 'orders', partition: 0, offset: 41, key: 'k', value: 'hello' })],
 * });
 * // event.eventSource === 'SelfManagedKafka'; event.records['orders-0'][0].value === 'aGVsbG8='
 * ```
 */
export function encodeEvent(input: EncodeEventInput): LambdaKafkaEvent {
  const eventSource =
    input.eventSource ?? (input.eventSourceArn === undefined ? 'SelfManagedKafka' : 'aws:kafka');
  if (eventSource === 'aws:kafka' && !input.eventSourceArn?.startsWith('arn:')) {
    throw new MalformedEventError(
      'eventSourceArn',
      'the MSK cluster ARN (arn:...) when eventSource is aws:kafka; pass eventSourceArn, or use SelfManagedKafka',
      input.eventSourceArn,
    );
  }

  const groups = new Map<string, LambdaKafkaRecord[]>();
  for (const record of input.records) {
    const key = `${record.topic}-${record.partition}`;
    const group = groups.get(key) ?? [];
    if (group.length === 0) groups.set(key, group);
    group.push(wireRecord(record));
  }

  return {
    eventSource,
    ...(input.eventSourceArn !== undefined && { eventSourceArn: input.eventSourceArn }),
    ...(input.bootstrapServers !== undefined && { bootstrapServers: joinServers(input.bootstrapServers) }),
    // fromEntries defines own properties, so no topic name can reach Object.prototype.
    records: Object.fromEntries(groups),
  };
}

function joinServers(servers: string[] | string): string {
  const list = (typeof servers === 'string' ? servers.split(',') : servers)
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (list.length === 0 || list.some((server) => server.includes(','))) {
    throw new MalformedEventError('bootstrapServers', 'at least one host:port, none containing ","', servers);
  }
  return list.join(',');
}

/**
 * The JSON text of one record as an event holds it: exactly `JSON.stringify` of its wire form
 * (unit-tested), written out directly because the emulator encodes every record it delivers
 * and building the object first costs more than the rest of the encoding.
 */
export function encodeRecordJson(record: RawRecord): string {
  const { partition, offset, timestamp } = record;
  const plain =
    !record.keySchemaMetadata &&
    !record.valueSchemaMetadata &&
    record.timestampType !== undefined &&
    Number.isFinite(partition) &&
    Number.isFinite(offset) &&
    Number.isFinite(timestamp);
  if (!plain) return JSON.stringify(wireRecord(record));
  // base64 needs no JSON escaping; numbers print as JSON prints them (finite, checked above).
  const key = record.key !== null && record.key.length > 0 ? `"key":"${record.key.toString('base64')}",` : '';
  const value = record.value === null ? 'null' : `"${record.value.toString('base64')}"`;
  const headers = record.headers.length === 0 ? '[]' : JSON.stringify(wireHeaders(record));
  return (
    `{"topic":${JSON.stringify(record.topic)},"partition":${partition},"offset":${offset},` +
    `"timestamp":${timestamp},"timestampType":${JSON.stringify(record.timestampType)},` +
    `${key}"value":${value},"headers":${headers}}`
  );
}

function wireRecord(record: RawRecord): LambdaKafkaRecord {
  // Field order follows AWS's example events, so encoded JSON reads like a real one.
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    ...(record.timestampType !== undefined && { timestampType: record.timestampType }),
    ...(record.key !== null && record.key.length > 0 && { key: record.key.toString('base64') }),
    value: record.value === null ? null : record.value.toString('base64'),
    headers: wireHeaders(record),
    ...(record.keySchemaMetadata && { keySchemaMetadata: { ...record.keySchemaMetadata } }),
    ...(record.valueSchemaMetadata && { valueSchemaMetadata: { ...record.valueSchemaMetadata } }),
  };
}

function wireHeaders(record: RawRecord): Array<Record<string, number[]>> {
  // A computed key defines an own property, even for a header named "__proto__".
  return record.headers.map((header) => ({ [header.key]: signedBytes(header.value) }));
}

/** Lambda serialises header values as Java `byte[]`, whose bytes are signed. */
function signedBytes(bytes: Uint8Array): number[] {
  return Array.from(bytes, (byte) => (byte > 127 ? byte - 256 : byte));
}

/** What {@link toRawRecord} accepts: strings are UTF-8; everything but topic, partition, offset is optional. */
export interface RawRecordInit {
  topic: string;
  partition: number;
  offset: number;
  /** Absent, `null` or empty: no key (Lambda cannot tell an empty key from none). */
  key?: string | Uint8Array | null;
  /** Absent or `null`: a tombstone. */
  value?: string | Uint8Array | null;
  /** In order; a name may repeat. */
  headers?: Array<{ key: string; value: string | Uint8Array }>;
  /** Epoch ms; default 0, so tests stay deterministic (pass the clock's time when it matters). */
  timestamp?: number;
  /** Default `CREATE_TIME`. */
  timestampType?: TimestampType;
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
}

/**
 * Builds a {@link RawRecord} from convenient inputs, normalised the way `decodeEvent` would
 * return it (an empty key becomes `null`; bytes are copied), so `decodeEvent(encodeEvent(...))`
 * gives back exactly the records built here.
 *
 * @example
 * ```ts
 * const record = toRawRecord({ topic: 'a.b-c', partition: 1, offset: 7, key: 'user-1', value: '{"n":1}',
 *   headers: [{ key: 'trace', value: 'abc' }] });
 * ```
 */
export function toRawRecord(init: RawRecordInit): RawRecord {
  const key = init.key == null ? null : bytes(init.key);
  const record: RawRecord = {
    topic: init.topic,
    partition: init.partition,
    offset: init.offset,
    timestamp: init.timestamp ?? 0,
    timestampType: init.timestampType ?? 'CREATE_TIME',
    key: key !== null && key.length > 0 ? key : null,
    value: init.value == null ? null : bytes(init.value),
    headers: (init.headers ?? []).map((header) => ({ key: header.key, value: bytes(header.value) })),
  };
  if (init.keySchemaMetadata) record.keySchemaMetadata = { ...init.keySchemaMetadata };
  if (init.valueSchemaMetadata) record.valueSchemaMetadata = { ...init.valueSchemaMetadata };
  return record;
}

function bytes(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}
