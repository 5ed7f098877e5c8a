import type { IHeaders, Message, RecordMetadata } from 'kafkajs';
import type { KafkaCompression } from './codecs';

/** One record to produce. Bytes or UTF-8 strings; `null` value is a tombstone. */
export interface KafkaMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Explicit partition; otherwise the key picks it (Java-compatible murmur2, as Java clients do). */
  partition?: number;
  /** As an object, or as pairs when a key repeats (Kafka allows duplicate header keys). */
  headers?: Record<string, string | Buffer> | Array<[string, string | Buffer]>;
  /** Create time in epoch ms; default now. */
  timestamp?: number;
}

export interface TopicMessages {
  topic: string;
  messages: KafkaMessage[];
  /** Record batch compression for these messages; default none. */
  compression?: KafkaCompression;
}

/** Where one produced batch landed. */
export interface ProducedBatch {
  topic: string;
  partition: number;
  /** Offset of the first record of the batch on that partition. */
  baseOffset: number;
}

/**
 * Consumer-group offsets committed inside a transaction. `offset` is the NEXT offset to read
 * (last processed + 1), as Kafka stores it.
 */
export interface TransactionOffsets {
  consumerGroupId: string;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: number }> }>;
}

export function toKafkajsMessage(message: KafkaMessage): Message {
  const out: Message = { key: message.key ?? null, value: message.value };
  if (message.partition !== undefined) out.partition = message.partition;
  if (message.timestamp !== undefined) out.timestamp = String(message.timestamp);
  if (message.headers !== undefined) out.headers = toHeaders(message.headers);
  return out;
}

export function toKafkajsOffsets(offsets: TransactionOffsets) {
  return {
    consumerGroupId: offsets.consumerGroupId,
    topics: offsets.topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
    })),
  };
}

export function toProducedBatches(metadata: RecordMetadata[]): ProducedBatch[] {
  return metadata.map((m) => ({
    topic: m.topicName,
    partition: m.partition,
    baseOffset: Number(m.baseOffset ?? -1),
  }));
}

function toHeaders(headers: NonNullable<KafkaMessage['headers']>): IHeaders {
  if (!Array.isArray(headers)) return { ...headers };
  const out: Record<string, Array<string | Buffer>> = {};
  for (const [key, value] of headers) {
    const values = out[key] ?? [];
    values.push(value);
    out[key] = values;
  }
  return out;
}
