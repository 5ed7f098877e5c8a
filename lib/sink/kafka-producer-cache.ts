import type { TaskId } from '../core/checkpoint';
import type { Logger } from '../core/log';
import { transactionalIdOf } from '../core/task';
import type { TransactionalProducer } from '../kafka/producer';
import type { KafkaPort } from './kafka-port';

/**
 * How long the broker lets a transaction stay open before aborting it itself (Java's default).
 * A publish transaction normally lasts well under a second; this only matters when the process
 * dies mid-transaction and no retry comes to fence it: read_committed readers of the output
 * partitions wait at most this long. The retry of a killed invocation fences it sooner.
 */
export const TRANSACTION_TIMEOUT_MS = 60_000;

/** One task's transactional producer and what it knows about the task's outbox marker. */
export interface TaskProducer {
  readonly task: TaskId;
  readonly producer: TransactionalProducer;
  /**
   * The outbox marker as this producer knows it: read once after init, then set by its own
   * commits. While it is not fenced, only this producer can move the marker, so a warm publish
   * needs no read. `undefined`: not initialised since it was created or dropped.
   */
  marker: number | null | undefined;
}

/**
 * Transactional producers per partition task and deployment
 * (`transactionalId = sluice.<namespace>.<fn>.<topic>.<partition>`,
 * idempotent, one request in flight: see lib/kafka/producer.ts), kept across warm invocations.
 * An invocation runs its partitions concurrently, Lambda Managed Instances run several
 * invocations in one process, and the scheduled flush may meet a batch of the same task, so use
 * of one task's producer is serialised.
 */
export function createProducerCache(deps: { kafka: () => Promise<KafkaPort>; log: Logger }) {
  const producers = new Map<string, TaskProducer>();
  const queues = new Map<string, Promise<unknown>>();
  let inits = 0;

  async function entryFor(namespace: string, task: TaskId): Promise<TaskProducer> {
    const key = transactionalIdOf(namespace, task);
    let entry = producers.get(key);
    if (!entry) {
      const producer = (await deps.kafka()).transactionalProducer({
        transactionalId: key,
        transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
      });
      entry = { task, producer, marker: undefined };
      producers.set(key, entry);
    }
    return entry;
  }

  return {
    /** Runs `fn` with exclusive use of the task's producer entry. */
    async use<T>(namespace: string, task: TaskId, fn: (entry: TaskProducer) => Promise<T>): Promise<T> {
      const key = transactionalIdOf(namespace, task);
      const previous = queues.get(key) ?? Promise.resolve();
      const run = previous.catch(() => {}).then(async () => fn(await entryFor(namespace, task)));
      const tail = run.catch(() => {});
      queues.set(key, tail);
      void tail.then(() => {
        if (queues.get(key) === tail) queues.delete(key);
      });
      return run;
    },
    /**
     * Connects and initialises the producer (InitProducerId: fences older producers of the task
     * and aborts their open transaction). A no-op for a producer already initialised.
     */
    async init(entry: TaskProducer): Promise<void> {
      inits += 1;
      await entry.producer.connect();
    },
    /**
     * Drops the underlying kafkajs producer after a failure; the next use starts a fresh one (a
     * new init). Disconnecting does not end an open transaction: the broker keeps it until the
     * next init of the id (or the transaction timeout) aborts it, as after a crash.
     */
    async drop(entry: TaskProducer): Promise<void> {
      entry.marker = undefined;
      await entry.producer.disconnect().catch((error: unknown) => {
        deps.log.debug('producer disconnect failed', {
          transactionalId: entry.producer.transactionalId,
          error: String(error),
        });
      });
    },
    /** Producer initialisations so far (each one a cold path: InitProducerId + marker read). */
    get inits() {
      return inits;
    },
    async closeAll(): Promise<void> {
      await Promise.allSettled([...queues.values()]);
      const all = [...producers.values()];
      producers.clear();
      await Promise.allSettled(all.map((entry) => entry.producer.disconnect()));
    },
  };
}

export type ProducerCache = ReturnType<typeof createProducerCache>;
