export type { KafkaAdmin } from './admin';
export { type KafkaAuthDeps, resolveSasl } from './auth';
export {
  createKafka,
  type KafkaClient,
  type KafkaClientDeps,
  type KafkaConsumer,
  type KafkaConsumerOptions,
} from './client';
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
export type { KafkaMessage, ProducedBatch, TopicMessages, TransactionOffsets } from './messages';
export {
  isProducerFenced,
  type KafkaProducer,
  type KafkaTransaction,
  kafkaErrorType,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from './producer';
