export type { KafkaAdmin, TopicMetadata } from './admin';
export { type KafkaAuthDeps, resolveSasl } from './auth';
export { createKafka, type KafkaClient, type KafkaClientDeps } from './client';
export {
  KAFKA_COMPRESSIONS,
  type KafkaCompression,
  parseCompression,
  registerCompressionCodecs,
} from './codecs';
export {
  describeKafkaConfig,
  type KafkaConfig,
  type KafkaLogLevel,
  type KafkaSaslConfig,
  kafkaConfigOf,
  validateKafkaConfig,
} from './config';
export type {
  BatchControl,
  ConsumedBatch,
  ConsumedRecord,
  ConsumerEvents,
  ConsumerRunOptions,
  KafkaConsumer,
  KafkaConsumerOptions,
} from './consumer';
export { classifyKafkaError, isProducerFenced, type KafkaErrorClass } from './errors';
export type { KafkaMessage, ProducedBatch, TopicMessages, TransactionOffsets } from './messages';
export type {
  KafkaProducer,
  KafkaTransaction,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './producer';
