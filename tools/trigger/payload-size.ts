/**
 * The event JSON Lambda sends, built from records encoded once, and its size, so a batch never
 * exceeds the synchronous invocation payload limit: "Lambda passes all of the records in the
 * batch to the function in a single call, up to the payload limit for synchronous invocation
 * (6 MB)" (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, BatchSize).
 *
 * Each record's JSON is encoded when it arrives (its size decides the batch it fits in) and
 * reused for the event, so a record is encoded once however often it is delivered. The sizes
 * are exact: `eventBytes(envelopeBytes(...), sizes)` equals the UTF-8 length of the event JSON
 * for one partition's records (unit-tested).
 */
import { encodeEvent, encodeRecordJson } from '../../lib/event/encode';
import type { EventSource, RawRecord } from '../../lib/event/types';

/** 6 MB as Lambda counts its invocation payload quota (6 MiB). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The event fields that are the same for every invocation of a trigger. */
export interface EventEnvelope {
  eventSource: EventSource;
  eventSourceArn?: string;
  bootstrapServers: string[];
}

/** A record with its event JSON text and that text's UTF-8 size. */
export interface EventRecord {
  record: RawRecord;
  json: string;
  size: number;
}

export function toEventRecord(record: RawRecord): EventRecord {
  const json = encodeRecordJson(record);
  return { record, json, size: Buffer.byteLength(json) };
}

/** The event JSON for already encoded records of one topic-partition. */
export function eventJsonOf(
  envelope: EventEnvelope,
  topic: string,
  partition: number,
  recordJsons: readonly string[],
): string {
  // `{..."records":{}}` with the one partition's list spliced in before its last two braces.
  const empty = JSON.stringify(encodeEvent({ ...envelope, records: [] }));
  const key = JSON.stringify(`${topic}-${partition}`);
  return `${empty.slice(0, -2)}${key}:[${recordJsons.join(',')}]}}`;
}

/** JSON of an event holding `records` of one topic-partition (`records` non-empty). */
export function encodeEventJson(envelope: EventEnvelope, records: RawRecord[]): string {
  const { topic, partition } = records[0]!;
  return eventJsonOf(envelope, topic, partition, records.map(encodeRecordJson));
}

/** Bytes of the event around the records of one topic-partition: envelope, key, `[]`. */
export function envelopeBytes(envelope: EventEnvelope, topic: string, partition: number): number {
  return Buffer.byteLength(eventJsonOf(envelope, topic, partition, []));
}

/** Bytes of an event with records of these sizes: envelope + records + separating commas. */
export function eventBytes(envelope: number, recordSizes: readonly number[]): number {
  let total = envelope;
  for (const size of recordSizes) total += size;
  return total + Math.max(0, recordSizes.length - 1);
}
