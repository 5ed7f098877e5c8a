import { ConfigError } from '../core/errors';
import type { SharedAdmin } from './kafka-admin';
import type { Sink } from './sink';

/**
 * Partition counts change rarely (only when partitions are added); re-read them as often as
 * kafkajs refreshes its own metadata (`metadataMaxAge`, 5 minutes by default).
 */
export const PARTITION_COUNT_TTL_MS = 300_000;

/**
 * The target partition of one output: the explicit one the function gave, else the sink's
 * partitioner, else `undefined`, which leaves it to the producer's partitioner — kafkajs's
 * `Partitioners.DefaultPartitioner`, murmur2 like the Java client, so equal keys land on one
 * partition in emit order and agree with Java producers of the same topic.
 */
export function choosePartition(
  explicit: number | undefined,
  sink: Pick<Sink, 'partitioner' | 'target'>,
  key: Buffer | null,
  partitionCount: number | undefined,
): number | undefined {
  const partition =
    explicit ??
    (sink.partitioner && partitionCount !== undefined ? sink.partitioner(key, partitionCount) : undefined);
  if (partition === undefined) return undefined;
  if (
    !Number.isInteger(partition) ||
    partition < 0 ||
    (partitionCount !== undefined && partition >= partitionCount)
  ) {
    throw new ConfigError(
      `output partition ${partition} does not exist in topic "${sink.target}"` +
        (partitionCount === undefined ? '' : ` (${partitionCount} partitions)`) +
        ': fix the partition given to emit() or the sink partitioner',
    );
  }
  return partition;
}

/** What can be checked of a Kafka topic before an output is committed for it. */
export interface TopicLimits {
  partitions: number;
  /** the topic's effective `max.message.bytes`: the largest record batch the broker accepts */
  maxMessageBytes: number;
}

/** Kafka's default `max.message.bytes` (1 MiB + record batch overhead), when the broker does not say. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Partition counts and size limits of target topics, read through the admin client and cached
 * for a while. A failed refresh keeps the last value it had (an output checked against a
 * limit a few minutes old is still checked), so a Kafka outage does not stop commits of a
 * warm process; with nothing cached, the error goes on.
 */
export function createTopicLimits(admin: SharedAdmin, now: () => number = Date.now) {
  const cache = new Map<string, { limits: TopicLimits; at: number }>();
  const reading = new Map<string, Promise<TopicLimits>>();

  async function read(topic: string): Promise<TopicLimits> {
    const partitions = (await admin.call((a) => a.partitions(topic))).length;
    if (partitions === 0) {
      throw new ConfigError(
        `sink topic "${topic}" does not exist (no partitions): create it before emitting to it`,
      );
    }
    const configs = await admin.call((a) => a.topicConfig(topic, ['max.message.bytes']));
    const maxMessageBytes = Number(configs.get('max.message.bytes') ?? DEFAULT_MAX_MESSAGE_BYTES);
    return { partitions, maxMessageBytes };
  }

  return {
    async get(topic: string): Promise<TopicLimits> {
      const hit = cache.get(topic);
      if (hit && now() - hit.at < PARTITION_COUNT_TTL_MS) return hit.limits;
      // Concurrent batches of one process share one read.
      let pending = reading.get(topic);
      if (!pending) {
        pending = read(topic).finally(() => reading.delete(topic));
        reading.set(topic, pending);
      }
      try {
        const limits = await pending;
        cache.set(topic, { limits, at: now() });
        return limits;
      } catch (error) {
        if (hit && !(error instanceof ConfigError)) return hit.limits;
        throw error;
      }
    },
    clear() {
      cache.clear();
    },
  };
}
