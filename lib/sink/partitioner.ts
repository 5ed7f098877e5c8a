import { ConfigError } from '../errors';
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

/** Partition counts of target topics, read through the admin client and cached for a while. */
export function createPartitionCounts(admin: SharedAdmin, now: () => number = Date.now) {
  const cache = new Map<string, { count: number; at: number }>();
  return {
    async get(topic: string): Promise<number> {
      const hit = cache.get(topic);
      if (hit && now() - hit.at < PARTITION_COUNT_TTL_MS) return hit.count;
      const count = (await admin.call((a) => a.partitions(topic))).length;
      if (count === 0) {
        throw new ConfigError(`sink topic "${topic}" has no partitions: create it before publishing`);
      }
      cache.set(topic, { count, at: now() });
      return count;
    },
    clear() {
      cache.clear();
    },
  };
}
