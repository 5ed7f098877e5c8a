import { createLogger, type Logger } from '../core/log';
import { createKafka, type KafkaClient } from '../kafka/client';
import { kafkaConfigFromEnv } from '../kafka/config';
import { createKafkaPublisher } from './kafka-publisher';
import type { Publishers } from './publisher';

/**
 * The Kafka publisher of a deployed or emulated handler, from the environment (see
 * `kafkaConfigFromEnv`: SLUICE_KAFKA_BROKERS, SLUICE_KAFKA_SASL_MECHANISM, ...).
 *
 * Nothing connects before the first Kafka output: a function without a Kafka sink needs no
 * broker and no SLUICE_KAFKA_BROKERS. When Kafka settings are present they are validated at once
 * (cold start) when SLUICE_KAFKA_BROKERS is set, so a typo fails before anything is committed.
 */
export async function kafkaPublishersFromEnv(
  env: NodeJS.ProcessEnv,
  deps: { log?: Logger } = {},
): Promise<Publishers> {
  const log = deps.log ?? createLogger({ level: env.SLUICE_LOG_LEVEL, base: { component: 'kafka' } });
  if (env.SLUICE_KAFKA_BROKERS) kafkaConfigFromEnv(env);
  let client: Promise<KafkaClient> | undefined;
  const publisher = createKafkaPublisher({
    // kafkaConfigFromEnv throws a ConfigError naming SLUICE_KAFKA_BROKERS when it is missing.
    kafka: () => {
      client = createKafka(kafkaConfigFromEnv(env), { logger: log });
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
