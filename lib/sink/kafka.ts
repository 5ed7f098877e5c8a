import { ConfigError } from '../core/errors';
import { type Serde, serde } from '../core/serde';
import { type KafkaCompression, parseCompression } from '../kafka/codecs';
import type { Sink } from './sink';

export interface KafkaSinkOptions<V, K> {
  topic: string;
  value: Serde<V>;
  /** default: nullable UTF-8 string */
  key?: Serde<K>;
  /**
   * Chooses the target partition from the serialised key. Default: Kafka's murmur2 partitioner
   * (the Java client's), so equal keys land on one partition and keep their order.
   */
  partitioner?: (key: Buffer | null, partitions: number) => number;
  /**
   * Record batch compression of what this sink writes: `none` (default), `gzip`, `snappy`, `lz4`
   * or `zstd`. Every Kafka client reads all four; Sluice's own readers do too.
   */
  compression?: KafkaCompression;
}

/**
 * A Kafka topic as an exactly-once output: outputs are committed with the state in the outbox,
 * then published in one Kafka transaction per batch. Read them with `read_committed`.
 *
 * @example
 * sinks: { counts: kafkaSink({ topic: 'word-counts', value: serde.json(), compression: 'zstd' }) }
 */
export function kafkaSink<V, K = string | null>(options: KafkaSinkOptions<V, K>): Sink<V, K> {
  if (typeof options?.topic !== 'string' || options.topic.length === 0) {
    throw new ConfigError(
      'kafkaSink: topic is required, e.g. kafkaSink({ topic: "word-counts", value: serde.json() })',
    );
  }
  for (const key of Object.keys(options)) {
    if (!['topic', 'value', 'key', 'partitioner', 'compression'].includes(key)) {
      throw new ConfigError(
        `kafkaSink: unknown option "${key}"; allowed: topic, value, key, partitioner, compression`,
      );
    }
  }
  const compression =
    options.compression === undefined
      ? undefined
      : parseCompression(options.compression, `kafkaSink({ topic: "${options.topic}" }).compression`);
  return {
    kind: 'kafka',
    target: options.topic,
    key: options.key ?? (serde.nullable(serde.string()) as unknown as Serde<K>),
    value: options.value,
    ...(options.partitioner ? { partitioner: options.partitioner } : {}),
    ...(compression && compression !== 'none' ? { compression } : {}),
  };
}
