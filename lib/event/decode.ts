/**
 * Strict decoder for the event Lambda's Kafka event source mapping sends to a function.
 *
 * Wire format (MSK and self-managed Kafka share it; only `eventSource` and `eventSourceArn` differ):
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
 *
 * Every rejection is a {@link MalformedEventError} naming the exact JSON path, so a bad event (a
 * trigger bug, a hand-written test event) is diagnosed from the message alone.
 */
import { MalformedEventError } from '../errors';
import type {
  DecodedEvent,
  EventSource,
  PartitionBatch,
  RawRecord,
  RecordHeader,
  SchemaMetadata,
  TimestampType,
} from './types';

const EVENT_SOURCES: readonly EventSource[] = ['aws:kafka', 'SelfManagedKafka'];
const TIMESTAMP_TYPES: readonly TimestampType[] = ['CREATE_TIME', 'LOG_APPEND_TIME', 'NO_TIMESTAMP_TYPE'];

/** Kafka's legal topic names: 1..249 chars of `[a-zA-Z0-9._-]`, and not `.` or `..` (Kafka's `Topic.validate`). */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Standard base64 alphabet with at most two trailing `=`; the length rule (a multiple of 4) is checked
 * separately. `Buffer.from(s, 'base64')` silently skips characters outside the alphabet, so a corrupted
 * payload would otherwise decode to different bytes instead of failing. Non-zero trailing bits are
 * accepted on purpose: AWS's own self-managed example event has them (its key ends in `...1234==`).
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes and validates one Lambda Kafka event into one {@link PartitionBatch} per topic-partition,
 * each holding its records in strictly increasing offset order. Keys and values stay bytes: the
 * function's serdes decode them later.
 *
 * Deliberately tolerated, because real Lambda events have been seen without them: an absent `key`
 * (null key), an absent `value` (tombstone), an absent `headers` (no headers). Unknown fields are
 * ignored, since Lambda adds fields over time (the schema registry metadata is one such addition).
 *
 * @throws {MalformedEventError} naming the JSON path of the first field that does not fit, e.g.
 *   `records["orders-0"][3].offset`.
 * @example
 * ```ts
 * const { batches } = decodeEvent(event);
 * for (const { topic, partition, records } of batches) {
 *   for (const r of records) console.log(topic, partition, r.offset, r.value?.toString('utf8'));
 * }
 * ```
 */
export function decodeEvent(event: unknown): DecodedEvent {
  const root = object(event, 'event');

  const eventSource = root.eventSource;
  if (!EVENT_SOURCES.includes(eventSource as EventSource)) {
    throw new MalformedEventError('eventSource', `one of ${quoteAll(EVENT_SOURCES)}`, eventSource);
  }

  const decoded: DecodedEvent = {
    eventSource: eventSource as EventSource,
    bootstrapServers: bootstrapServers(root.bootstrapServers),
    batches: [],
  };
  // An MSK event names its cluster; a self-managed one normally has no ARN, but one is kept if sent.
  if (eventSource === 'aws:kafka' || root.eventSourceArn !== undefined) {
    decoded.eventSourceArn = arn(root.eventSourceArn);
  }

  const records = object(root.records, 'records');
  for (const [key, list] of Object.entries(records)) {
    const batch = partitionBatch(key, list);
    if (batch) decoded.batches.push(batch);
  }
  return decoded;
}

function bootstrapServers(value: unknown): string[] {
  if (typeof value !== 'string') {
    throw new MalformedEventError('bootstrapServers', 'a comma-separated string of host:port', value);
  }
  const servers = value
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) {
    throw new MalformedEventError('bootstrapServers', 'at least one host:port', value);
  }
  return servers;
}

function arn(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('arn:')) {
    throw new MalformedEventError('eventSourceArn', 'an ARN string starting with "arn:"', value);
  }
  return value;
}

/**
 * The key names the partition (`<topic>-<partition>`), but topics may contain `-` themselves, so the
 * key is never split: topic and partition come from each record, and the key must agree with them.
 */
function partitionBatch(key: string, list: unknown): PartitionBatch | undefined {
  const path = `records[${JSON.stringify(key)}]`;
  if (!Array.isArray(list)) throw new MalformedEventError(path, 'an array of records', list);
  if (list.length === 0) return undefined;

  const records: RawRecord[] = [];
  for (const [i, item] of list.entries()) {
    const recordPath = `${path}[${i}]`;
    const record = rawRecord(item, recordPath);
    const actual = `${record.topic}-${record.partition}`;
    if (actual !== key) {
      throw new MalformedEventError(recordPath, `a record of ${key} (its topic-partition)`, actual);
    }
    const previous = records.at(-1);
    if (previous && record.offset <= previous.offset) {
      throw new MalformedEventError(
        `${recordPath}.offset`,
        `greater than the previous offset ${previous.offset} (records in strictly increasing offset order)`,
        record.offset,
      );
    }
    records.push(record);
  }
  const first = records[0]!;
  return { topic: first.topic, partition: first.partition, records };
}

function rawRecord(value: unknown, path: string): RawRecord {
  const r = object(value, path);

  const topic = r.topic;
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new MalformedEventError(
      `${path}.topic`,
      'a Kafka topic name (1-249 chars of a-z A-Z 0-9 . _ -)',
      topic,
    );
  }
  const timestampType = r.timestampType;
  if (!TIMESTAMP_TYPES.includes(timestampType as TimestampType)) {
    throw new MalformedEventError(
      `${path}.timestampType`,
      `one of ${quoteAll(TIMESTAMP_TYPES)}`,
      timestampType,
    );
  }

  const record: RawRecord = {
    topic,
    partition: nonNegativeInteger(r.partition, `${path}.partition`),
    offset: nonNegativeInteger(r.offset, `${path}.offset`),
    timestamp: timestamp(r.timestamp, `${path}.timestamp`),
    timestampType: timestampType as TimestampType,
    key: key(r.key, `${path}.key`),
    value: recordValue(r.value, `${path}.value`),
    headers: headers(r.headers, `${path}.headers`),
  };
  if (r.keySchemaMetadata !== undefined) {
    record.keySchemaMetadata = schemaMetadata(r.keySchemaMetadata, `${path}.keySchemaMetadata`);
  }
  if (r.valueSchemaMetadata !== undefined) {
    record.valueSchemaMetadata = schemaMetadata(r.valueSchemaMetadata, `${path}.valueSchemaMetadata`);
  }
  return record;
}

function nonNegativeInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedEventError(path, 'a non-negative integer', value);
  }
  return value;
}

/** Epoch milliseconds; Kafka uses -1 for "no timestamp" (NO_TIMESTAMP_TYPE). */
function timestamp(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1) {
    throw new MalformedEventError(path, 'epoch milliseconds (an integer >= -1)', value);
  }
  return value;
}

/**
 * Lambda omits the key of a record without one, and some senders write `null` or `""`; all three
 * mean "no key". (So an empty, non-null Kafka key also arrives as no key: the wire cannot tell them apart.)
 */
function key(value: unknown, path: string): Buffer | null {
  if (value === undefined || value === null || value === '') return null;
  return base64(value, path);
}

/** `null` (or, as seen from real triggers, an absent field) is a tombstone; `""` is an empty value. */
function recordValue(value: unknown, path: string): Buffer | null {
  if (value === undefined || value === null) return null;
  return base64(value, path);
}

function base64(value: unknown, path: string): Buffer {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64_CHARS.test(value)) {
    throw new MalformedEventError(
      path,
      'a base64 string (standard alphabet, padded to a multiple of 4)',
      value,
    );
  }
  return Buffer.from(value, 'base64');
}

/**
 * Headers are a list of single-key objects (a key may repeat, order matters), each value the header's
 * bytes as a Java `byte[]`, i.e. signed: -128..-1 stand for 128..255. Unsigned bytes are accepted too.
 */
function headers(value: unknown, path: string): RecordHeader[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MalformedEventError(path, 'an array of single-key objects', value);
  return value.map((item, j) => {
    const headerPath = `${path}[${j}]`;
    const entries = Object.entries(object(item, headerPath));
    const entry = entries[0];
    if (entries.length !== 1 || !entry) {
      throw new MalformedEventError(headerPath, 'an object with exactly one key (the header name)', item);
    }
    const [name, bytes] = entry;
    return { key: name, value: headerBytes(bytes, `${headerPath}[${JSON.stringify(name)}]`) };
  });
}

function headerBytes(value: unknown, path: string): Buffer {
  if (!Array.isArray(value)) throw new MalformedEventError(path, 'an array of bytes (-128..255)', value);
  const bytes = Buffer.alloc(value.length);
  for (const [m, byte] of value.entries()) {
    if (typeof byte !== 'number' || !Number.isInteger(byte) || byte < -128 || byte > 255) {
      throw new MalformedEventError(`${path}[${m}]`, 'an integer byte in -128..255', byte);
    }
    bytes[m] = byte < 0 ? byte + 256 : byte;
  }
  return bytes;
}

/** Sent when the mapping uses a schema registry: https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html */
function schemaMetadata(value: unknown, path: string): SchemaMetadata {
  const m = object(value, path);
  for (const field of ['dataFormat', 'schemaId'] as const) {
    if (typeof m[field] !== 'string' || m[field] === '') {
      throw new MalformedEventError(`${path}.${field}`, 'a non-empty string', m[field]);
    }
  }
  return { dataFormat: m.dataFormat as string, schemaId: m.schemaId as string };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedEventError(path, 'an object', value);
  }
  return value as Record<string, unknown>;
}

function quoteAll(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}
