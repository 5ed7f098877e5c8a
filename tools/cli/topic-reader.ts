import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../../lib/kafka/client';
import type { KafkaConsumer } from '../../lib/kafka/consumer';

/** A record as read from Kafka, bytes untouched. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

export interface ReaderOptions {
  topic: string;
  /** default: a fresh `sluice-cli-<id>` group, deleted again by stop() */
  groupId?: string;
  /** start at the earliest offset when the group has no committed offset (default: latest) */
  fromBeginning?: boolean;
  /** default false: read_committed, aborted and open transactions stay invisible */
  readUncommitted?: boolean;
  /** Called in order per partition. Return false to stop: later records are not consumed (nor committed). */
  onRecord(record: ReadRecord): boolean | undefined;
}

export interface TopicReader {
  readonly groupId: string;
  /** resolves once the consumer has joined its group and got partitions */
  readonly joined: Promise<void>;
  /** resolves when onRecord returned false */
  readonly finished: Promise<void>;
  /** next offset to read per partition, control records (transaction markers) included */
  readonly positions: ReadonlyMap<number, number>;
  /** true when every partition's position has reached `endOffsets` (empty partitions count as reached) */
  caughtUp(endOffsets: ReadonlyMap<number, number>): boolean;
  /** leaves the group (committing what was consumed) and deletes a generated group */
  stop(): Promise<void>;
}

/**
 * How long a fetch waits for new records on the broker. Leaving the group waits for the fetch in
 * flight, so kafkajs's 5 s default would make every exit (Ctrl-C, --max-messages) slow; a
 * shorter long poll costs a few idle requests per second.
 */
const FETCH_WAIT_MS = 250;

/**
 * A group consumer for the CLI's `consume` and the walkthrough's independent checks. Offsets
 * are resolved per record actually handed to `onRecord`, so `--max-messages` with a named group
 * commits exactly what was printed.
 */
export async function startTopicReader(kafka: KafkaClient, options: ReaderOptions): Promise<TopicReader> {
  const generated = options.groupId === undefined;
  const groupId = options.groupId ?? `sluice-cli-${randomUUID().slice(0, 8)}`;
  const consumer: KafkaConsumer = kafka.consumer({
    groupId,
    readUncommitted: options.readUncommitted ?? false,
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  const positions = new Map<number, number>();
  let stopping = false;
  let resolveJoined!: () => void;
  let resolveFinished!: () => void;
  const joined = new Promise<void>((resolve) => {
    resolveJoined = resolve;
  });
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });
  consumer.on('join', () => resolveJoined());
  consumer.on('batchEnd', (event) => {
    if (event.topic !== options.topic) return;
    const next = event.lastOffset + 1;
    if (next > (positions.get(event.partition) ?? 0)) positions.set(event.partition, next);
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? false });
  await consumer.run({
    autoResolve: false,
    eachBatch: async (batch, { resolveOffset, heartbeat, isActive }) => {
      for (const message of batch.records) {
        if (stopping || !isActive()) return;
        const record: ReadRecord = {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          value: message.value,
          headers: message.headers.map(([key, v]): [string, Buffer] => [
            key,
            Buffer.isBuffer(v) ? v : Buffer.from(String(v)),
          ]),
        };
        const more = options.onRecord(record);
        resolveOffset(message.offset);
        if (more === false) {
          stopping = true;
          resolveFinished();
          return;
        }
      }
      await heartbeat();
    },
  });

  return {
    groupId,
    joined,
    finished,
    positions,
    caughtUp(endOffsets) {
      for (const [partition, end] of endOffsets) {
        if (end > 0 && (positions.get(partition) ?? 0) < end) return false;
      }
      return true;
    },
    async stop() {
      stopping = true;
      await consumer.disconnect();
      if (generated) {
        const admin = kafka.admin();
        await admin
          .deleteGroups([groupId])
          .catch(() => {})
          .finally(() => admin.disconnect());
      }
    },
  };
}

/** Fails with what to do when a topic does not exist (kafkajs would retry for a while first). */
export async function assertTopicExists(kafka: KafkaClient, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(
        `topic "${topic}" does not exist: create it with \`sluice topics create ${topic} --partitions N\``,
      );
    }
    return await admin.partitions(topic);
  } finally {
    await admin.disconnect();
  }
}
