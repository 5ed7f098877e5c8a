import type { OutboxMessage } from '../core/checkpoint';
import type { KafkaCompression } from '../kafka/codecs';
import type { KafkaMessage, TopicMessages } from '../kafka/messages';
import { choosePartition } from './partitioner';
import type { Sink } from './sink';

/**
 * Upper bound of payload bytes per produce request. kafkajs puts everything a send holds for one
 * partition into one record batch, and the broker rejects batches over `message.max.bytes`
 * (1 MiB by default): half of it leaves room for record overhead.
 */
export const MAX_CHUNK_BYTES = 512 * 1024;
/** Per-record overhead counted against MAX_CHUNK_BYTES (varints, attributes, header framing). */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * Decodes outbox messages (base64, see OutboxMessage) into Kafka messages for their sinks'
 * topics, in outbox order, split into chunks under MAX_CHUNK_BYTES. Sending the chunks one after
 * the other keeps emit order per partition (the producer has one request in flight).
 * `sinks` must hold every sink the messages name (publishOutbox checks it).
 */
export function toTopicMessageChunks(
  messages: OutboxMessage[],
  sinks: Record<string, Sink>,
  partitionCounts: ReadonlyMap<string, number>,
): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let chunk = new Map<string, KafkaMessage[]>();
  // A topic's codec is its sink's `compression` (the first sink naming the topic, if several do).
  const compression = new Map<string, KafkaCompression>();
  let bytes = 0;
  const flush = () => {
    if (chunk.size > 0) {
      chunks.push(
        [...chunk].map(([topic, list]): TopicMessages => {
          const codec = compression.get(topic);
          return codec && codec !== 'none'
            ? { topic, messages: list, compression: codec }
            : { topic, messages: list };
        }),
      );
    }
    chunk = new Map();
    bytes = 0;
  };
  for (const message of messages) {
    const sink = sinks[message.sink]!;
    const key = decode(message.key);
    const value = decode(message.value);
    const headers = (message.headers ?? []).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]);
    const size =
      (key?.length ?? 0) +
      (value?.length ?? 0) +
      headers.reduce((n, [k, v]) => n + k.length + v.length, 0) +
      RECORD_OVERHEAD_BYTES;
    if (bytes > 0 && bytes + size > MAX_CHUNK_BYTES) flush();
    const partition = choosePartition(message.partition, sink, key, partitionCounts.get(sink.target));
    const out: KafkaMessage = { key, value };
    if (headers.length > 0) out.headers = headers;
    if (partition !== undefined) out.partition = partition;
    if (sink.compression && !compression.has(sink.target)) compression.set(sink.target, sink.compression);
    const list = chunk.get(sink.target) ?? [];
    list.push(out);
    chunk.set(sink.target, list);
    bytes += size;
  }
  flush();
  return chunks;
}

/**
 * Target topics whose partition count is needed: those with a sink partitioner, and those given
 * explicit partitions (checked here: a partition that does not exist would make the committed
 * outbox unpublishable with a vague broker error).
 */
export function topicsNeedingCounts(messages: OutboxMessage[], sinks: Record<string, Sink>): string[] {
  const topics = new Set<string>();
  for (const message of messages) {
    const sink = sinks[message.sink];
    if (sink && (sink.partitioner || message.partition !== undefined)) topics.add(sink.target);
  }
  return [...topics];
}

function decode(base64: string | null): Buffer | null {
  return base64 === null ? null : Buffer.from(base64, 'base64');
}
