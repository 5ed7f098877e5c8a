/**
 * Decoder for the event Lambda's Kafka event source mapping sends to a function.
 *
 * Wire format (MSK and self-managed Kafka share it; only `eventSource` and `eventSourceArn` differ):
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-kafka.html
 *
 * Strict only on what Sluice uses: each record's topic, partition, offset (and their agreement
 * with the partition key and their order), timestamp, key and value base64, header bytes. Every
 * rejection is a {@link MalformedEventError} naming the exact JSON path. Lenient on everything
 * else, as AWS's own libraries are (Powertools, aws-lambda-go, aws-lambda-rust-runtime): what is
 * present is kept when it has the documented type, and absent, differently typed or unknown
 * fields are ignored, since Lambda adds fields over time (`bootstrapServers`, `eventSourceArn`,
 * `timestampType`, schema metadata without a `schemaId`, ...).
 *
 * Partitions are decoded one by one ({@link decodeEventPartitions}): a malformed partition batch
 * is reported on its own, so the handler fails only that partition.
 */
import { MalformedEventError } from '../core/errors';
import type {
  DecodedEvent,
  EventEnvelope,
  PartitionBatch,
  RawRecord,
  RecordHeader,
  SchemaMetadata,
  TimestampType,
} from './types';

/** Kafka's legal topic names: 1..249 chars of `[a-zA-Z0-9._-]`, and not `.` or `..` (Kafka's `Topic.validate`). */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Standard base64 alphabet with at most two trailing `=`; the length rule (a multiple of 4) is checked
 * separately. `Buffer.from(s, 'base64')` silently skips characters outside the alphabet, so a corrupted
 * payload would otherwise decode to different bytes instead of failing. Non-zero trailing bits are
 * accepted on purpose: AWS's own self-managed example event has them (its key ends in `...1234==`).
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

/** One entry of the event's `records` object: its batch, or why it cannot be used. */
export type PartitionResult =
  | { key: string; ok: true; batch: PartitionBatch }
  | {
      key: string;
      ok: false;
      error: MalformedEventError;
      /** the offset of its first record, when that much can be read: where Lambda redelivers from */
      firstOffset?: number;
    };

/**
 * Decodes the event's envelope and each partition batch separately. Throws only when there is
 * nothing to split (the event or its `records` is not an object); a malformed partition batch is
 * returned as `{ ok: false, error }`. Empty partition lists are left out.
 *
 * @throws {MalformedEventError} for `event` or `records` not being an object.
 * @example
 * ```ts
 * const { partitions } = decodeEventPartitions(event);
 * for (const p of partitions) if (!p.ok) console.error(p.key, p.error.message);
 * ```
 */
export function decodeEventPartitions(event: unknown): EventEnvelope & { partitions: PartitionResult[] } {
  const root = object(event, 'event');
  const records = object(root.records, 'records');
  const envelope: EventEnvelope = { bootstrapServers: bootstrapServers(root.bootstrapServers) };
  if (typeof root.eventSource === 'string') envelope.eventSource = root.eventSource;
  if (typeof root.eventSourceArn === 'string') envelope.eventSourceArn = root.eventSourceArn;
  const partitions: PartitionResult[] = [];
  for (const [key, list] of Object.entries(records)) {
    try {
      const batch = partitionBatch(key, list);
      if (batch) partitions.push({ key, ok: true, batch });
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      const offset = Array.isArray(list) ? (list[0] as { offset?: unknown } | null)?.offset : undefined;
      partitions.push({
        key,
        ok: false,
        error,
        ...(typeof offset === 'number' &&
          Number.isSafeInteger(offset) &&
          offset >= 0 && { firstOffset: offset }),
      });
    }
  }
  return { ...envelope, partitions };
}

/**
 * Decodes one Lambda Kafka event into one {@link PartitionBatch} per topic-partition, each holding
 * its records in strictly increasing offset order. Keys and values stay bytes: the function's
 * serdes decode them later. All or nothing: the first malformed partition batch throws (the
 * handler uses {@link decodeEventPartitions} to fail it alone).
 *
 * Deliberately tolerated, because real Lambda events have been seen without them: an absent `key`
 * (null key), an absent `value` (tombstone), an absent `headers` (no headers).
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
  const { partitions, ...envelope } = decodeEventPartitions(event);
  const batches: PartitionBatch[] = [];
  for (const partition of partitions) {
    if (!partition.ok) throw partition.error;
    batches.push(partition.batch);
  }
  return { ...envelope, batches };
}

/** Informative only (Sluice connects with its own configuration): kept when it is a string, else none. */
function bootstrapServers(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
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
  const record: RawRecord = {
    topic,
    partition: nonNegativeInteger(r.partition, `${path}.partition`),
    offset: nonNegativeInteger(r.offset, `${path}.offset`),
    timestamp: timestamp(r.timestamp, `${path}.timestamp`),
    key: key(r.key, `${path}.key`),
    value: recordValue(r.value, `${path}.value`),
    headers: headers(r.headers, `${path}.headers`),
  };
  // Informative fields: kept when present with their documented type, otherwise left out.
  if (typeof r.timestampType === 'string') record.timestampType = r.timestampType as TimestampType;
  const keySchema = schemaMetadata(r.keySchemaMetadata);
  if (keySchema) record.keySchemaMetadata = keySchema;
  const valueSchema = schemaMetadata(r.valueSchemaMetadata);
  if (valueSchema) record.valueSchemaMetadata = valueSchema;
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

/**
 * Sent when the mapping uses a schema registry:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html. AWS's libraries
 * treat both fields as optional (e.g. `dataFormat` alone); whichever is a string is kept.
 */
function schemaMetadata(value: unknown): SchemaMetadata | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  const out: SchemaMetadata = {};
  if (typeof m.dataFormat === 'string') out.dataFormat = m.dataFormat;
  if (typeof m.schemaId === 'string') out.schemaId = m.schemaId;
  return out;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedEventError(path, 'an object', value);
  }
  return value as Record<string, unknown>;
}
