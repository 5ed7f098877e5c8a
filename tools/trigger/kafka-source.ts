/**
 * Feeds one trigger's partition workers from a group consumer (kafkajs behind lib/kafka).
 *
 * Why `eachBatch` only hands records over: kafkajs fetches all of a broker's partitions in one
 * request and waits until every batch of that fetch is processed before fetching again, so a slow
 * function on one partition would stall the others. Instead `eachBatch` appends to the
 * partition's worker and returns at once; the worker invokes the function on its own schedule
 * (one batch in flight per partition, partitions in parallel).
 *
 * Offsets: `resolveOffset` only moves kafkajs's fetch position (autoCommit is off); the group
 * offset is committed by the worker after the function succeeded. Backpressure: the worker
 * pauses its partition when its buffer is full — kafkajs then leaves it out of fetches and drops
 * an in-flight response for it, without moving the position — and resumes it when it drains.
 * Buffering is thus bounded per partition by the worker's buffer + one fetch (maxBytesPerPartition).
 *
 * Rebalances: partitions no longer assigned have their workers stopped (what they finished is
 * committed if the group still allows it; the rest is redelivered to the new owner). kafkajs
 * re-fetches kept partitions from the committed offset; workers ignore what they already have.
 */
import { messageOf } from '../../lib/core/errors';
import type { Logger } from '../../lib/core/log';
import type { KafkaClient } from '../../lib/kafka/client';
import type { BatchControl, ConsumedBatch } from '../../lib/kafka/consumer';
import { fromConsumedRecord } from './kafka-record';
import type { PartitionWorker } from './partition-worker';
import type { StartingPosition } from './settings';
import { startOffsets } from './starting-position';

/**
 * Fetch sizing. 1 MB per partition is kafkajs's default and bounds what one fetch adds to a
 * partition's buffer; maxBytes bounds one response across partitions. A record bigger than
 * these still comes through (Kafka returns at least one record).
 */
export const DEFAULT_CONSUMER_TUNING = {
  maxBytesPerPartition: 1024 * 1024,
  maxBytes: 8 * 1024 * 1024,
  /**
   * A paused partition that resumes waits for the fetch in progress (long poll) to return:
   * 250 ms keeps that short while idle polling stays cheap.
   */
  maxWaitTimeInMs: 250,
  /**
   * A member killed without leaving (SIGKILL, a crash, a closed laptop) keeps its partitions until
   * its session times out: a restarted `sluice dev` gets them back only then. kafkajs's 30 s made
   * every restart after a kill wait ~30 s; 6 s is the broker's minimum
   * (`group.min.session.timeout.ms`). Heartbeats go out every second from kafkajs's fetch loop,
   * which never waits on the function (eachBatch only hands records over), so only an event loop
   * blocked for 6 s (a synchronous in-process function) loses the session, and then kafkajs
   * rejoins. A clean stop (Ctrl-C) leaves the group at once: no wait at all.
   * bench/restart.ts measures both.
   */
  sessionTimeout: 6_000,
  heartbeatInterval: 1_000,
};

/** Joining a group takes well under a second locally; a minute means the broker is unwell. */
const JOIN_TIMEOUT_MS = 60_000;

export interface PartitionIo {
  commit(offset: number): Promise<void>;
  pause(): void;
  resume(): void;
}

export interface KafkaSourceOptions {
  kafka: KafkaClient;
  groupId: string;
  topic: string;
  startingPosition: StartingPosition;
  startingPositionTimestampMs?: number;
  log: Logger;
  createWorker(partition: number, io: PartitionIo): PartitionWorker;
  tuning?: Partial<typeof DEFAULT_CONSUMER_TUNING>;
}

export interface KafkaSource {
  workers(): ReadonlyMap<number, PartitionWorker>;
  /** Reads the log end offsets, for the lag in stats. */
  refreshWatermarks(): Promise<void>;
  /** Stops the workers (waiting for batches in flight, committing), then leaves the group. */
  stop(): Promise<void>;
  /** Resolves after stop(); rejects when the consumer crashes for good. */
  readonly done: Promise<void>;
}

export async function startKafkaSource(options: KafkaSourceOptions): Promise<KafkaSource> {
  const { kafka, topic, groupId, log } = options;
  const tuning = { ...DEFAULT_CONSUMER_TUNING, ...options.tuning };
  const starts = await startOffsets(kafka, {
    groupId,
    topic,
    position: options.startingPosition,
    timestampMs: options.startingPositionTimestampMs,
  }).catch((error: unknown) => {
    throw new Error(
      `cannot read topic "${topic}" on ${kafka.brokers.join(',')}: ${messageOf(error)} ` +
        '(does the topic exist? is Kafka up?)',
      { cause: error },
    );
  });

  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: tuning.maxBytesPerPartition,
    maxBytes: tuning.maxBytes,
    maxWaitTimeInMs: tuning.maxWaitTimeInMs,
    sessionTimeout: tuning.sessionTimeout,
    heartbeatInterval: tuning.heartbeatInterval,
  });
  const workers = new Map<number, PartitionWorker>();
  const stopping: Array<Promise<void>> = [];
  let stopped = false;
  let settle: { resolve(): void; reject(error: unknown): void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => {});
  let joined: () => void;
  const firstJoin = new Promise<void>((resolve) => {
    joined = resolve;
  });

  const io = (partition: number): PartitionIo => ({
    commit: (offset) => consumer.commit([{ topic, partition, offset }]),
    pause: () => consumer.pause(topic, [partition]),
    resume: () => consumer.resume(topic, [partition]),
  });

  function workerFor(partition: number): PartitionWorker {
    let worker = workers.get(partition);
    if (!worker) {
      worker = options.createWorker(partition, io(partition));
      workers.set(partition, worker);
    }
    return worker;
  }

  consumer.on('join', (event) => {
    const assigned = new Set(event.assignment[topic] ?? []);
    for (const [partition, worker] of workers) {
      if (!assigned.has(partition)) {
        workers.delete(partition);
        stopping.push(worker.stop());
        log.info('partition revoked', { topic, partition, groupId });
      }
    }
    for (const partition of assigned) {
      // A consumer restarted after a crash has forgotten its pauses: a full buffer stays bounded.
      if (workerFor(partition).snapshot().paused) consumer.pause(topic, [partition]);
      const start = starts.get(partition);
      // Applied by kafkajs before its next fetch (autoCommit off: only the fetch position moves).
      if (start !== undefined) consumer.seek({ topic, partition, offset: start });
    }
    log.debug('joined consumer group', { groupId, topic, partitions: [...assigned] });
    joined();
  });
  consumer.on('crash', (event) => {
    if (event.restart) {
      log.warn('Kafka consumer crashed; kafkajs restarts it', {
        groupId,
        error: String(event.error),
      });
      return;
    }
    log.error('Kafka consumer crashed for good', { groupId, error: String(event.error) });
    settle.reject(event.error);
  });

  async function eachBatch(batch: ConsumedBatch, { resolveOffset }: BatchControl): Promise<void> {
    if (stopped || batch.topic !== topic) return;
    const records = batch.records.map((record) => fromConsumedRecord(topic, batch.partition, record));
    workerFor(batch.partition).push(records, batch.lastOffset + 1, batch.highWatermark);
    resolveOffset(batch.lastOffset);
  }

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.startingPosition !== 'LATEST' });
    await consumer.run({ autoCommit: false, autoResolve: false, eachBatch });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      firstJoin,
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`consumer group ${groupId} did not join within ${JOIN_TIMEOUT_MS} ms`)),
          JOIN_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (error) {
    stopped = true;
    await consumer.disconnect().catch(() => {});
    throw error;
  }

  // Persist the starting positions (through the workers, whose commits only move forward: a
  // first batch may already be done), so a restart before the first record keeps them. Not
  // from the join listener: kafkajs drops commits until its runner is started.
  for (const [partition, offset] of starts) workers.get(partition)?.commitStart(offset);
  starts.clear();

  const admin = kafka.admin();
  const committed = await admin
    .committedOffsets(groupId, topic)
    .catch(() => new Map<number, number | null>());
  for (const [partition, offset] of committed) workers.get(partition)?.observeCommitted(offset);

  return {
    workers: () => workers,
    async refreshWatermarks() {
      const marks = await admin.watermarks(topic);
      for (const [partition, mark] of marks) workers.get(partition)?.observeHighWatermark(mark.high);
    },
    async stop() {
      if (stopped) return done;
      stopped = true;
      // Leave the group even when a worker's last commit fails: a member that exits without
      // leaving keeps its partitions until its session times out, and the next `sluice dev`
      // waits for that (what is not committed is redelivered either way).
      const finished = await Promise.allSettled([...[...workers.values()].map((w) => w.stop()), ...stopping]);
      const left = await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
      const failed = [...finished, ...left].find((r) => r.status === 'rejected');
      if (failed) settle.reject(failed.reason);
      else settle.resolve();
      return done;
    },
    done,
  };
}
