import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { lazy } from './lazy';

/**
 * DescribeConfigs' resource type of a topic (ConfigResource TOPIC = 2 in the protocol:
 * https://kafka.apache.org/protocol.html#The_Messages_DescribeConfigs). Not kafkajs's
 * `ConfigResourceTypes.TOPIC`: Node's ESM loader cannot import that name from kafkajs's CommonJS
 * index (its export detection misses it), which broke `npm start` and the CLI under tsx.
 */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The admin operations Sluice and its tests need. Connects on first use. */
export interface KafkaAdmin {
  /** Creates a topic and waits for partition leaders; false when it already existed. */
  createTopic(
    topic: string,
    options?: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> },
  ): Promise<boolean>;
  deleteTopics(topics: string[]): Promise<void>;
  describeCluster(): Promise<{
    clusterId: string;
    controller: number | null;
    brokers: Array<{ nodeId: number; host: string; port: number }>;
  }>;
  /** Every topic's name, internal ones (`__consumer_offsets`, ...) included, in the broker's order. */
  listTopics(): Promise<string[]>;
  /** Partition ids of a topic, ascending. */
  partitions(topic: string): Promise<number[]>;
  /** Leader and replicas of each partition of `topics`, in the broker's order. */
  topicMetadata(topics: string[]): Promise<TopicMetadata[]>;
  /** Low and high watermark per partition. */
  watermarks(topic: string): Promise<Map<number, { low: number; high: number }>>;
  /**
   * Per partition, the offset of the first record with a timestamp at or after `timestampMs`,
   * or the log end offset when there is none (ListOffsets by timestamp).
   */
  offsetsForTimestamp(topic: string, timestampMs: number): Promise<Map<number, number>>;
  /** Committed offset (next to read) per partition of `topic` for a group; null when none. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number | null>>;
  /**
   * Deletes consumer groups with their committed offsets (groups with members cannot be deleted).
   * Tests use it to remove an outbox marker, as `offsets.retention.minutes` would expire it.
   */
  deleteGroups(groupIds: string[]): Promise<void>;
  /** Commits offsets for a group that has no members (Kafka refuses it for an active group). */
  setOffsets(groupId: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void>;
  /** Effective values of topic configs (topic override, else the broker default), by name. */
  topicConfig(topic: string, names: string[]): Promise<Map<string, string>>;
  /** A consumer group's state (`Empty`, `Stable`, `PreparingRebalance`, `Dead`, ...) and member count. */
  describeGroup(groupId: string): Promise<{ state: string; members: number }>;
  disconnect(): Promise<void>;
}

export interface TopicMetadata {
  topic: string;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>;
}

export function wrapAdmin(admin: Admin): KafkaAdmin {
  const connected = lazy(() => admin.connect());
  return {
    async createTopic(topic, options = {}) {
      await connected.get();
      return admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: options.partitions ?? 1,
            ...(options.replicationFactor !== undefined && { replicationFactor: options.replicationFactor }),
            configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    },
    async deleteTopics(topics) {
      await connected.get();
      await admin.deleteTopics({ topics });
    },
    async describeCluster() {
      await connected.get();
      const cluster = await admin.describeCluster();
      return {
        clusterId: cluster.clusterId,
        controller: cluster.controller,
        brokers: cluster.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
      };
    },
    async listTopics() {
      await connected.get();
      return admin.listTopics();
    },
    async topicMetadata(topics) {
      await connected.get();
      const metadata = await admin.fetchTopicMetadata({ topics });
      return metadata.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
        })),
      }));
    },
    async offsetsForTimestamp(topic, timestampMs) {
      await connected.get();
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
      return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
    },
    async partitions(topic) {
      await connected.get();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    },
    async describeGroup(groupId) {
      await connected.get();
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return { state: group?.state ?? 'Dead', members: group?.members.length ?? 0 };
    },
    async watermarks(topic) {
      await connected.get();
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]));
    },
    async committedOffsets(groupId, topic) {
      await connected.get();
      const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map(
        (result?.partitions ?? []).map((p) => [p.partition, Number(p.offset) >= 0 ? Number(p.offset) : null]),
      );
    },
    async setOffsets(groupId, topic, offsets) {
      await connected.get();
      await admin.setOffsets({
        groupId,
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })),
      });
    },
    async deleteGroups(groupIds) {
      await connected.get();
      await admin.deleteGroups(groupIds);
    },
    async topicConfig(topic, names) {
      await connected.get();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: names }],
      });
      return new Map(
        (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue] as const),
      );
    },
    async disconnect() {
      await connected.reset(() => admin.disconnect());
    },
  };
}
