import type { KafkaConfig } from '../core/config';
import { type Logger, silentLogger } from '../core/log';
import { createKafka, type KafkaClient } from '../kafka/client';
import { kafkaConfigOf } from '../kafka/config';
import { createKafkaPublisher } from './kafka-publisher';
import type { Publishers } from './publisher';

/**
 * The Kafka publisher of a deployed or emulated handler, from the configuration's Kafka
 * settings (`SluiceConfig.kafka`: SLUICE_KAFKA_BROKERS, SLUICE_KAFKA_SASL_MECHANISM, ...),
 * validated with the rest of the configuration at cold start.
 *
 * Nothing connects before the first Kafka output: a function without a Kafka sink needs no
 * broker and no SLUICE_KAFKA_BROKERS; with a Kafka sink and no brokers, the first output fails
 * with a ConfigError naming SLUICE_KAFKA_BROKERS.
 *
 * @example
 * const publishers = kafkaPublishers(config.kafka, { log });
 */
export function kafkaPublishers(kafka: KafkaConfig | undefined, deps: { log?: Logger } = {}): Publishers {
  const log = deps.log ?? silentLogger;
  let client: Promise<KafkaClient> | undefined;
  const publisher = createKafkaPublisher({
    kafka: () => {
      client = createKafka(kafkaConfigOf({ kafka }), { logger: log });
      return client;
    },
    log,
  });
  return {
    kafka: {
      publish: (request) => publisher.publish(request),
      async close() {
        await publisher.close();
        await (await client?.catch(() => undefined))?.close();
      },
    },
  };
}
