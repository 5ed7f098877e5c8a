import { Kafka } from 'kafkajs';
import { createLogger, type Logger } from '../core/log';
import { type KafkaAdmin, wrapAdmin } from './admin';
import { defaultKafkaAuthDeps, type KafkaAuthDeps, resolveSasl } from './auth';
import { registerCompressionCodecs } from './codecs';
import { type KafkaConfig, validateKafkaConfig } from './config';
import { createConsumer, type KafkaConsumer, type KafkaConsumerOptions } from './consumer';
import { KAFKAJS_LEVELS, kafkajsLogCreator } from './logger';
import {
  createProducer,
  createTransactionalProducer,
  type KafkaProducer,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from './producer';

/**
 * Sluice's view of Kafka: the few operations the framework and its tools need, in Sluice's own
 * types, so kafkajs (unmaintained since 2023) can be replaced behind it. Only `lib/kafka/`
 * imports kafkajs (test/unit/architecture.test.ts holds it): a second client is a new
 * implementation of this interface (client, admin, producer, consumer, errors), nothing above.
 */
export interface KafkaClient {
  readonly brokers: readonly string[];
  admin(): KafkaAdmin;
  producer(options?: { idempotent?: boolean }): KafkaProducer;
  transactionalProducer(options: TransactionalProducerOptions): TransactionalProducer;
  /** A group consumer; reads committed data only unless `readUncommitted: true`. */
  consumer(options: KafkaConsumerOptions): KafkaConsumer;
  /** Disconnects every admin, producer and consumer made by this client. */
  close(): Promise<void>;
  /**
   * The underlying kafkajs instance, for benchmarks and tests that measure or fake the client
   * itself. Never used by lib/ or tools/ (test/unit/architecture.test.ts holds it).
   */
  readonly kafkajs: Kafka;
}

export interface KafkaClientDeps {
  /** Where kafkajs's log lines go (default: Sluice's JSON logger on stdout). */
  logger?: Logger;
  /** Secrets Manager and MSK IAM signing (default: the AWS SDK). */
  auth?: KafkaAuthDeps;
}

/**
 * A TLS + SASL handshake to MSK from a cold Lambda can take more than kafkajs's 1 s default;
 * a loopback broker answers in milliseconds either way.
 */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Validates `config`, resolves credentials (Secrets Manager secret, MSK IAM signer) and returns
 * a client. Nothing connects until first use.
 *
 * @example
 * const kafka = await createKafka(kafkaConfigFromEnv());
 * const producer = kafka.transactionalProducer({ transactionalId: 'sluice.word-count.sentences.0' });
 * await producer.commitTransaction({
 *   messages: [{ topic: 'word-counts', messages: [{ key: 'a', value: '1' }] }],
 *   offsets: { consumerGroupId: 'sluice.word-count.outbox', topics: [{ topic: 'sentences', partitions: [{ partition: 0, offset: 42 }] }] },
 * });
 * await kafka.close();
 */
export async function createKafka(config: KafkaConfig, deps: KafkaClientDeps = {}): Promise<KafkaClient> {
  validateKafkaConfig(config);
  registerCompressionCodecs();
  const logger = deps.logger ?? createLogger({ base: { component: 'kafka' } });
  const sasl = config.sasl ? await resolveSasl(config.sasl, deps.auth ?? defaultKafkaAuthDeps) : undefined;
  const kafka = new Kafka({
    clientId: config.clientId ?? 'sluice',
    brokers: config.brokers,
    ...(config.ssl !== undefined && { ssl: config.ssl }),
    ...(sasl && { sasl }),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    logLevel: KAFKAJS_LEVELS[config.logLevel ?? 'error'],
    logCreator: kafkajsLogCreator(logger),
  });

  const closers = new Set<() => Promise<void>>();
  const track = <T extends { disconnect(): Promise<void> }>(made: T): T => {
    closers.add(() => made.disconnect());
    return made;
  };

  return {
    brokers: [...config.brokers],
    kafkajs: kafka,
    admin: () => track(wrapAdmin(kafka.admin())),
    producer: (options) => track(createProducer(kafka, options)),
    transactionalProducer: (options) => track(createTransactionalProducer(kafka, options)),
    consumer: (options) => track(createConsumer(kafka, options)),
    async close() {
      const all = [...closers];
      closers.clear();
      await Promise.allSettled(all.map((close) => close()));
    },
  };
}
