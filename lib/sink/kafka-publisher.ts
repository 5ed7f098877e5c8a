import { ConfigError, InjectedFault, messageOf, PublishError } from '../core/errors';
import { type Logger, silentLogger } from '../core/log';
import { taskKey } from '../core/task';
import type { KafkaTransaction } from '../kafka/producer';
import { lazyKafka, sharedAdmin } from './kafka-admin';
import { isRetriableKafkaError } from './kafka-errors';
import { topicsNeedingCounts, toTopicMessageChunks } from './kafka-messages';
import type { KafkaSource } from './kafka-port';
import { createProducerCache, type TaskProducer } from './kafka-producer-cache';
import { isPublished, markerOffset, markerOffsets, readOutboxMarker } from './outbox-marker';
import { createTopicLimits } from './partitioner';
import type { OutboxPublisher, PublishRequest, SinkLimits } from './publisher';

/**
 * Attempts of one outbox publish. Each failed attempt aborts its transaction and drops the
 * producer; the next starts with a fresh one (its init fences, the marker is read again). Three
 * ride out a broker blip or a zombie that fenced us once; more would only delay Lambda's own
 * retry of the invocation, which does the same from scratch.
 */
export const PUBLISH_ATTEMPTS = 3;
/** Pause before a retried publish attempt (doubles each time): 200 ms, 400 ms. */
export const PUBLISH_RETRY_BACKOFF_MS = 200;
/**
 * Pause before the second read of a marker that looked unpublished after init: the broker's
 * offset materialisation after a transaction commit is a queued task, done in well under this.
 */
export const MARKER_SETTLE_MS = 100;

export interface KafkaPublisherOptions {
  /** Sluice's Kafka client (`createKafka`), or a factory called on the first publish */
  kafka: KafkaSource;
  /** when set, the publisher refuses tasks of any other function */
  fn?: string;
  log?: Logger;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
}

/** What the publisher did so far: the cost model in numbers. */
export interface KafkaPublisherStats {
  /** outboxes written in a committed transaction */
  published: number;
  /** outboxes found already published by the marker read after init */
  skippedAfterRead: number;
  /** outboxes this process knew were published: no broker call at all */
  skippedWarm: number;
  /** producer initialisations (InitProducerId), each followed by one marker read (OffsetFetch) */
  inits: number;
  /** publish attempts that failed and were retried on a fresh producer */
  retriedAttempts: number;
}

export interface KafkaPublisher extends OutboxPublisher {
  stats(): KafkaPublisherStats;
}

/**
 * The exactly-once Kafka publisher (DESIGN section 5). For an outbox of task `t` ending at `e`:
 *
 * 1. `t`'s transactional producer (`sluice.<namespace>.<fn>.<topic>.<partition>`), kept across warm
 *    invocations. A new one is initialised first: InitProducerId fences older producers of `t`
 *    and aborts their open transaction;
 * 2. the outbox marker (group `sluice.<namespace>.<fn>.outbox`, source partition): read after init.
 *    From then on this producer is the only one that can move it — any other would have to init,
 *    fencing us, and then our transaction fails and we start over at 1 — so a warm publish knows
 *    it without a read. If it is `>= e + 1`, the outbox was published: skip;
 * 3. one transaction: the messages (topic = the sink's target; partition = the emitted one, else
 *    the sink's partitioner, else murmur2 of the key), `sendOffsets` moving the marker to
 *    `e + 1`, commit. Any error aborts it and drops the producer.
 *
 * Cost: warm = AddPartitionsToTxn + Produce per chunk + AddOffsetsToTxn + FindCoordinator +
 * TxnOffsetCommit + EndTxn; cold adds connect, InitProducerId (kafkajs does it twice: idempotent
 * on connect, transactional on the first transaction) and FindCoordinator + Metadata +
 * OffsetFetch for the marker. An outbox this process knows is published costs nothing.
 *
 * @example
 * const kafka = await createKafka(kafkaConfigOf(config));
 * const publisher = createKafkaPublisher({ kafka, log });
 * const runtime = createRuntime({ store, publishers: { kafka: publisher } });
 */
export function createKafkaPublisher(options: KafkaPublisherOptions): KafkaPublisher {
  const log = options.log ?? silentLogger;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const kafka = lazyKafka(options.kafka);
  const admin = sharedAdmin(kafka);
  const producers = createProducerCache({ kafka, log });
  const topicLimits = createTopicLimits(admin);
  const counters = { published: 0, skippedAfterRead: 0, skippedWarm: 0, retriedAttempts: 0 };

  type Outcome = 'published' | 'skipped: marker read after init' | 'skipped: known published';

  async function publishOnce(entry: TaskProducer, request: PublishRequest): Promise<Outcome> {
    const { namespace, task, outbox, messages, sinks, faults } = request;
    if (entry.marker === undefined) {
      try {
        await producers.init(entry);
        entry.marker = await admin.call((a) => readOutboxMarker(a, namespace, task));
        if (!isPublished(entry.marker, outbox.endOffset)) {
          // Our init completed the task's last transaction, but Kafka 3.x moves a committed
          // transaction's offsets into the group on a scheduler thread after the commit marker is
          // written, and OffsetFetch up to v4 (kafkajs's) cannot ask for stable offsets (KIP-447's
          // require_stable is v7). A marker read in that instant is the previous one. Reading once
          // more after a pause closes the window; it costs only when the outbox looks unpublished.
          await sleep(MARKER_SETTLE_MS);
          const again = await admin.call((a) => readOutboxMarker(a, namespace, task));
          if (again !== null && (entry.marker === null || again > entry.marker)) entry.marker = again;
        }
        log.debug('producer initialised, outbox marker read', {
          transactionalId: entry.producer.transactionalId,
          marker: entry.marker,
          endOffset: outbox.endOffset,
        });
      } catch (error) {
        await producers.drop(entry);
        throw error;
      }
      if (isPublished(entry.marker, outbox.endOffset)) {
        counters.skippedAfterRead += 1;
        return 'skipped: marker read after init';
      }
    } else if (isPublished(entry.marker, outbox.endOffset)) {
      counters.skippedWarm += 1;
      return 'skipped: known published';
    }

    let txn: KafkaTransaction | undefined;
    try {
      const counts = new Map<string, number>();
      for (const topic of topicsNeedingCounts(messages, sinks))
        counts.set(topic, (await topicLimits.get(topic)).partitions);
      const chunks = toTopicMessageChunks(messages, sinks, counts);
      txn = await entry.producer.beginTransaction();
      for (const chunk of chunks) await txn.send(chunk);
      // Retries CONCURRENT_TRANSACTIONS itself (kafkajs does not): see lib/kafka/producer.ts.
      await txn.sendOffsets(markerOffsets(namespace, task, outbox.endOffset));
      await faults('mid-publish', task);
      const committing = txn;
      txn = undefined; // after commit is called, abort is not an option any more
      await committing.commit();
      entry.marker = markerOffset(outbox.endOffset);
      counters.published += 1;
      return 'published';
    } catch (error) {
      if (error instanceof InjectedFault) {
        // A simulated crash: leave the transaction open as a dead process would, so the retry
        // goes the way a real one must (its init fences this producer and aborts it).
        await producers.drop(entry);
        throw error;
      }
      await txn?.abort().catch((abortError: unknown) => {
        log.debug('abort failed; the next init of the transactional id aborts the transaction', {
          transactionalId: entry.producer.transactionalId,
          error: messageOf(abortError),
        });
      });
      await producers.drop(entry);
      throw error;
    }
  }

  return {
    async publish(request) {
      const { task, outbox, messages } = request;
      if (options.fn !== undefined && task.fn !== options.fn) {
        throw new ConfigError(`this Kafka publisher serves function "${options.fn}", not "${task.fn}"`);
      }
      if (messages.length === 0) return;
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          const outcome = await producers.use(request.namespace, task, (entry) =>
            publishOnce(entry, request),
          );
          log.debug(`outbox ${outcome}`, {
            task: taskKey(task),
            endOffset: outbox.endOffset,
            messages: messages.length,
            ms: Date.now() - started,
          });
          return;
        } catch (error) {
          if (error instanceof InjectedFault || error instanceof ConfigError) throw error;
          const retriable = isRetriableKafkaError(error);
          if (!retriable || attempt >= PUBLISH_ATTEMPTS) {
            throw new PublishError(
              `publishing the outbox of ${taskKey(task)} (source offsets ${outbox.firstOffset}-${outbox.endOffset}, ` +
                `${messages.length} messages) failed after ${attempt} attempt(s): ${messageOf(error)}. ` +
                'It stays in the checkpoint and is published again by the next invocation; ' +
                'inspect it with `sluice transactions`',
              error,
            );
          }
          counters.retriedAttempts += 1;
          log.warn('outbox publish attempt failed; retrying with a fresh producer', {
            task: taskKey(task),
            attempt,
            error: messageOf(error),
          });
          topicLimits.clear();
          await sleep(PUBLISH_RETRY_BACKOFF_MS * 2 ** (attempt - 1));
        }
      }
    },
    async limits(sinks) {
      const limits = new Map<string, SinkLimits>();
      for (const [name, sink] of Object.entries(sinks)) limits.set(name, await topicLimits.get(sink.target));
      return limits;
    },
    stats() {
      return { ...counters, inits: producers.inits };
    },
    async close() {
      await producers.closeAll();
      await admin.close();
    },
  };
}
