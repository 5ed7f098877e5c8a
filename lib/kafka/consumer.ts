/**
 * Sluice's group consumer: what the trigger emulator and the CLI need from one, in Sluice's own
 * types (offsets as numbers, headers as pairs), so another client can stand behind it.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage as KafkajsMessage } from 'kafkajs';
import type { TimestampType } from '../event/types';

export interface KafkaConsumerOptions {
  groupId: string;
  /** Default false: read_committed, so aborted and open transactions stay invisible. */
  readUncommitted?: boolean;
  /** Default true (kafkajs's): subscribing may create a missing topic if the broker allows it. */
  allowAutoTopicCreation?: boolean;
  /** How long a fetch waits on the broker for new records (default 5 s); leaving waits for it. */
  maxWaitTimeInMs?: number;
  /** Bytes one fetch returns per partition (default 1 MB); one record bigger still comes. */
  maxBytesPerPartition?: number;
  /** Bytes one fetch returns in all (default 10 MB). */
  maxBytes?: number;
  /** Group session timeout in ms (default 30 s). */
  sessionTimeout?: number;
  /** Heartbeat interval in ms (default 3 s). */
  heartbeatInterval?: number;
}

/**
 * One fetched record. Key, value and header values are views into the fetch response: copy
 * what you keep for long, or it keeps the whole response alive.
 */
export interface ConsumedRecord {
  offset: number;
  /** Epoch ms. */
  timestamp: number;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
  /** Grouped by key in the order keys first appear (kafkajs groups repeats); null values kept. */
  headers: Array<[string, Buffer | null]>;
}

/** The records of one partition from one fetch (control and aborted records left out). */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /** The offset to resolve for the whole batch: its last record, or past control records. */
  lastOffset: number;
  highWatermark: number;
}

/** What `eachBatch` may do while it runs. */
export interface BatchControl {
  /** Marks records up to `offset` consumed: the fetch position (and with autoCommit, the commit) moves past it. */
  resolveOffset(offset: number): void;
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or a rebalance made this batch stale. */
  isActive(): boolean;
}

export interface ConsumerRunOptions {
  /** Default true: resolved offsets are committed periodically; false: only `commit()` commits. */
  autoCommit?: boolean;
  /** Default true: the whole batch is resolved when `eachBatch` returns; false: only `resolveOffset`. */
  autoResolve?: boolean;
  /** Called per partition and fetch, one partition at a time; the next fetch waits for all of them. */
  eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
}

export interface ConsumerEvents {
  /** Joined the group (again, after a rebalance): the partitions now assigned, per topic. */
  join: { assignment: Record<string, number[]> };
  /** A batch was processed, also one of only control or aborted records `eachBatch` never saw. */
  batchEnd: { topic: string; partition: number; lastOffset: number };
  /** The consumer failed; with `restart` the client rejoins by itself, else it is stopped for good. */
  crash: { error: unknown; restart: boolean };
}

/**
 * A group consumer. Nothing connects before `connect()`.
 *
 * @example
 * const consumer = kafka.consumer({ groupId: 'reader' });
 * await consumer.connect();
 * await consumer.subscribe({ topics: ['sentences'], fromBeginning: true });
 * await consumer.run({
 *   eachBatch: async (batch) => {
 *     for (const record of batch.records) console.log(record.offset, record.value?.toString());
 *   },
 * });
 */
export interface KafkaConsumer {
  connect(): Promise<void>;
  /** `fromBeginning`: where a partition without a committed offset starts (default: the log end). */
  subscribe(input: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  /** Starts the fetch loop; resolves once it runs. */
  run(options: ConsumerRunOptions): Promise<void>;
  /** Leaves `partitions` out of fetches (an in-flight response for them is dropped) until resumed. */
  pause(topic: string, partitions: number[]): void;
  resume(topic: string, partitions: number[]): void;
  /** Moves the fetch position of an assigned partition; applied before its next fetch. */
  seek(input: { topic: string; partition: number; offset: number }): void;
  /** Commits group offsets; `offset` is the next one to read. */
  commit(offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void>;
  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof ConsumerEvents>(event: E, listener: (payload: ConsumerEvents[E]) => void): () => void;
  /** Leaves the group (waiting for the fetch in flight) and disconnects. */
  disconnect(): Promise<void>;
}

/** Record batch timestamp type codes (attributes bit 3): https://kafka.apache.org/documentation/#recordbatch */
const TIMESTAMP_TYPES: Record<number, TimestampType> = { 0: 'CREATE_TIME', 1: 'LOG_APPEND_TIME' };

export function createConsumer(kafka: Kafka, options: KafkaConsumerOptions): KafkaConsumer {
  const consumer: Consumer = kafka.consumer({
    ...options,
    readUncommitted: options.readUncommitted ?? false,
  });
  return {
    connect: () => consumer.connect(),
    subscribe: ({ topics, fromBeginning }) =>
      consumer.subscribe({ topics, ...(fromBeginning !== undefined && { fromBeginning }) }),
    run: ({ autoCommit, autoResolve, eachBatch }) =>
      consumer.run({
        ...(autoCommit !== undefined && { autoCommit }),
        ...(autoResolve !== undefined && { eachBatchAutoResolve: autoResolve }),
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) =>
          eachBatch(
            {
              topic: batch.topic,
              partition: batch.partition,
              records: batch.messages.map(toConsumedRecord),
              lastOffset: Number(batch.lastOffset()),
              highWatermark: Number(batch.highWatermark),
            },
            {
              resolveOffset: (offset) => resolveOffset(String(offset)),
              heartbeat,
              isActive: () => isRunning() && !isStale(),
            },
          ),
      }),
    pause: (topic, partitions) => consumer.pause([{ topic, partitions }]),
    resume: (topic, partitions) => consumer.resume([{ topic, partitions }]),
    seek: ({ topic, partition, offset }) => consumer.seek({ topic, partition, offset: String(offset) }),
    commit: (offsets) =>
      consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })),
      ),
    on(event, listener) {
      const emit = listener as (payload: ConsumerEvents[keyof ConsumerEvents]) => void;
      switch (event) {
        case 'join':
          return consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
            emit({ assignment: payload.memberAssignment }),
          );
        case 'batchEnd':
          return consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
            emit({
              topic: payload.topic,
              partition: payload.partition,
              lastOffset: Number(payload.lastOffset),
            }),
          );
        case 'crash':
          return consumer.on(consumer.events.CRASH, ({ payload }) =>
            emit({ error: payload.error, restart: payload.restart }),
          );
        default:
          throw new Error(`unknown consumer event ${String(event)}`);
      }
    },
    disconnect: () => consumer.disconnect(),
  };
}

function toConsumedRecord(message: KafkajsMessage): ConsumedRecord {
  // kafkajs keeps the record batch's attributes on each message, untyped.
  const context = (message as { batchContext?: { timestampType?: number } }).batchContext;
  const headers: Array<[string, Buffer | null]> = [];
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      headers.push([key, item === null || Buffer.isBuffer(item) ? item : Buffer.from(item)]);
    }
  }
  return {
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: TIMESTAMP_TYPES[context?.timestampType ?? 0] ?? 'NO_TIMESTAMP_TYPE',
    key: message.key,
    value: message.value,
    headers,
  };
}
