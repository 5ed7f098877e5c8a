import type { RawRecord, RecordHeader } from '../../lib/event/types';
import type { ConsumedRecord } from '../../lib/kafka/consumer';

/**
 * A fetched record as the record Lambda puts in its event. Keys, values and headers are
 * copied: the consumer hands out slices of the whole fetch response, and keeping a slice would
 * keep the response (up to maxBytes) alive for as long as the record waits in the buffer.
 *
 * kafkajs groups repeated header keys, so headers come out grouped by key (in order within a
 * key); Lambda keeps the wire order. Only the interleaving of repeated keys differs.
 */
export function fromConsumedRecord(topic: string, partition: number, record: ConsumedRecord): RawRecord {
  const headers: RecordHeader[] = record.headers.map(([key, value]) => ({
    key,
    value: value === null ? Buffer.alloc(0) : Buffer.from(value),
  }));
  return {
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
    key: record.key === null || record.key.length === 0 ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers,
  };
}
