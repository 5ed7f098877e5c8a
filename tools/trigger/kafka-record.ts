import type { KafkaMessage } from 'kafkajs';
import type { RawRecord, RecordHeader, TimestampType } from '../../lib/event/types';

/** kafkajs's record-batch timestamp type codes (src/protocol/timestampTypes.js). */
const TIMESTAMP_TYPES: Record<number, TimestampType> = { 0: 'CREATE_TIME', 1: 'LOG_APPEND_TIME' };

/**
 * A fetched kafkajs message as the record Lambda puts in its event. Keys, values and headers are
 * copied: kafkajs hands out slices of the whole fetch response, and keeping a slice would keep
 * the response (up to maxBytes) alive for as long as the record waits in the buffer.
 *
 * kafkajs groups repeated header keys into arrays, so headers come out grouped by key (in order
 * within a key); Lambda keeps the wire order. Only the interleaving of repeated keys differs.
 */
export function fromKafkaMessage(topic: string, partition: number, message: KafkaMessage): RawRecord {
  const context = (message as { batchContext?: { timestampType?: number } }).batchContext;
  const headers: RecordHeader[] = [];
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      headers.push({ key, value: item === undefined || item === null ? Buffer.alloc(0) : Buffer.from(item) });
    }
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: TIMESTAMP_TYPES[context?.timestampType ?? 0] ?? 'NO_TIMESTAMP_TYPE',
    key: message.key === null || message.key.length === 0 ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.from(message.value),
    headers,
  };
}
