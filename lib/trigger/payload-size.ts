/**
 * Sizes of the event JSON Lambda sends, so a batch never exceeds the synchronous invocation
 * payload limit: "Lambda passes all of the records in the batch to the function in a single call,
 * up to the payload limit for synchronous invocation (6 MB)"
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, BatchSize).
 *
 * The sizes are exact: `eventBytes(envelope, records)` equals the UTF-8 length of
 * `JSON.stringify(encodeEvent(...))` for one partition's records (unit-tested).
 */
import { encodeEvent } from '../event/encode';
import type { EventSource, RawRecord } from '../event/types';

/** 6 MB as Lambda counts its invocation payload quota (6 MiB). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The event fields that are the same for every invocation of a trigger. */
export interface EventEnvelope {
  eventSource: EventSource;
  eventSourceArn?: string;
  bootstrapServers: string[];
}

/** JSON bytes of an event holding `records` of one topic-partition (`records` non-empty). */
export function encodeEventJson(envelope: EventEnvelope, records: RawRecord[]): string {
  return JSON.stringify(encodeEvent({ ...envelope, records }));
}

/** Bytes of the event around the records of one topic-partition: envelope, key, `[]`. */
export function envelopeBytes(envelope: EventEnvelope, topic: string, partition: number): number {
  const empty = encodeEvent({ ...envelope, records: [] });
  return Buffer.byteLength(JSON.stringify({ ...empty, records: { [`${topic}-${partition}`]: [] } }));
}

/** Bytes one record adds to an event (its JSON; a comma separates it from the previous one). */
export function recordBytes(record: RawRecord): number {
  const event = encodeEvent({ bootstrapServers: ['x:1'], records: [record] });
  const wire = event.records[`${record.topic}-${record.partition}`]![0];
  return Buffer.byteLength(JSON.stringify(wire));
}

/** Bytes of an event with records of these sizes: envelope + records + separating commas. */
export function eventBytes(envelope: number, recordSizes: readonly number[]): number {
  let total = envelope;
  for (const size of recordSizes) total += size;
  return total + Math.max(0, recordSizes.length - 1);
}
