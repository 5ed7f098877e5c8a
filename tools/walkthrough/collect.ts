import type { KafkaClient } from '../../lib/kafka/client';
import { startTopicReader, type TopicReader } from '../cli/topic-reader';

/** Everything committed on a topic, as read by an independent read_committed consumer. */
export interface Collected {
  reader: TopicReader;
  values: string[];
  /** key and value of each record, in arrival order */
  records: Array<{ partition: number; offset: number; key: string | null; value: string; timestamp: number }>;
  /** highest offset seen per partition */
  lastOffsets: Map<number, number>;
}

export async function collectTopic(kafka: KafkaClient, topic: string): Promise<Collected> {
  const collected: Omit<Collected, 'reader'> = { values: [], records: [], lastOffsets: new Map() };
  const reader = await startTopicReader(kafka, {
    topic,
    fromBeginning: true,
    onRecord(record) {
      const value = record.value?.toString('utf8') ?? '';
      collected.values.push(value);
      collected.records.push({
        partition: record.partition,
        offset: record.offset,
        key: record.key?.toString('utf8') ?? null,
        value,
        timestamp: record.timestamp,
      });
      collected.lastOffsets.set(
        record.partition,
        Math.max(record.offset, collected.lastOffsets.get(record.partition) ?? -1),
      );
      return true;
    },
  });
  return { reader, ...collected };
}
