import type { KafkaClient } from '../kafka/client';

/**
 * The part of Sluice's Kafka client (`lib/kafka`, over kafkajs) the Kafka publisher and the
 * transactions tools use. Tests pass a client built over a fake kafkajs, or a fake of this.
 */
export type KafkaPort = Pick<KafkaClient, 'admin' | 'transactionalProducer'>;

/** A client, or a function building one on first use (so a process without Kafka sinks needs no broker). */
export type KafkaSource = KafkaPort | (() => KafkaPort | Promise<KafkaPort>);
