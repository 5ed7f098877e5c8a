import type { OutboxMessage, TaskId } from '../core/checkpoint';
import type { SinkLimits } from '../sink/publisher';
import type { QuarantinePolicy } from './quarantine-policy';
import type { ParkedRecord } from './quarantine-state';

/**
 * Headers Sluice adds to a record on the quarantine topic, after the record's own headers (in
 * the spirit of Kafka Connect's `__connect.errors.*` dead letter headers). Values are UTF-8.
 */
export const QUARANTINE_HEADERS = {
  error: 'sluice.quarantine.error',
  /** `failed` (this record failed) or `behind` (parked behind a failed record of its key) */
  reason: 'sluice.quarantine.reason',
  fn: 'sluice.source.function',
  topic: 'sluice.source.topic',
  partition: 'sluice.source.partition',
  offset: 'sluice.source.offset',
  /** the source record's timestamp (epoch ms): the quarantine record's own is its publish time */
  timestamp: 'sluice.source.timestamp',
  /** set when the value was left out to fit the topic's max.message.bytes (the state keeps it) */
  valueOmitted: 'sluice.quarantine.value-omitted-bytes',
} as const;

/** Same allowance as run-process.ts: record batch header and a record's varints. */
const RECORD_BATCH_OVERHEAD_BYTES = 128;
const MAX_ERROR_CHARS = 1000;

/**
 * The outbox message publishing a parked record: its key, value and headers as they came, plus
 * where it came from and why. A record too big for the quarantine topic once the headers are
 * added goes without its value (never wedging the partition); the state keeps the value, so a
 * replay still runs it whole.
 */
export function quarantineMessage(
  task: TaskId,
  record: ParkedRecord,
  policy: QuarantinePolicy,
  limits: ReadonlyMap<string, SinkLimits>,
): OutboxMessage {
  const text = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const headers: Array<[string, string]> = [
    ...record.headers,
    [QUARANTINE_HEADERS.error, text(record.error.slice(0, MAX_ERROR_CHARS))],
    [QUARANTINE_HEADERS.reason, text(record.reason)],
    [QUARANTINE_HEADERS.fn, text(task.fn)],
    [QUARANTINE_HEADERS.topic, text(task.topic)],
    [QUARANTINE_HEADERS.partition, text(String(task.partition))],
    [QUARANTINE_HEADERS.offset, text(String(record.offset))],
    [QUARANTINE_HEADERS.timestamp, text(String(record.timestamp))],
  ];
  let value = record.value;
  const max = limits.get(policy.sink)?.maxMessageBytes;
  if (max !== undefined && value !== null) {
    const size =
      base64Bytes(record.key) +
      base64Bytes(value) +
      headers.reduce((n, [k, v]) => n + Buffer.byteLength(k) + base64Bytes(v), 0) +
      RECORD_BATCH_OVERHEAD_BYTES;
    if (size > max) {
      headers.push([QUARANTINE_HEADERS.valueOmitted, text(String(base64Bytes(value)))]);
      value = null;
    }
  }
  return { sink: policy.sink, key: record.key, value, headers };
}

function base64Bytes(b64: string | null): number {
  if (b64 === null) return 0;
  return Buffer.byteLength(b64, 'base64');
}
