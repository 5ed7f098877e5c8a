/**
 * The local stack for benchmarks: brought up (or reused) through `infra/local/stack.ts`, its
 * endpoints exported in the standard variables the SDKs and Sluice read.
 */
import { type ServiceName, stackEndpoints, stackUp } from '../../infra/local/stack';
import { silentLogger } from '../../lib/core/log';
import { createKafka, type KafkaClient } from '../../lib/kafka/client';

export async function ensureStack(services: ServiceName[], log: (line: string) => void): Promise<void> {
  const env = process.env;
  // Any credentials work locally; the SDK only needs some to sign with.
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.AWS_REGION ??= 'us-east-1';
  const result = await stackUp({ services, log: (line) => log(`[stack] ${line}`) });
  const own = stackEndpoints(env);
  env.SLUICE_KAFKA_BROKERS ||= own.SLUICE_KAFKA_BROKERS;
  env.AWS_ENDPOINT_URL_DYNAMODB ||= own.AWS_ENDPOINT_URL_DYNAMODB;
  env.AWS_ENDPOINT_URL_S3 ||= own.AWS_ENDPOINT_URL_S3;
  log(
    `[stack] ${result.services.map((s) => `${s.name} ${s.action}`).join(', ')} in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
}

/** A Sluice Kafka client on the stack's broker, with kafkajs's own logging off. */
export function benchKafka(): Promise<KafkaClient> {
  const brokers = (process.env.SLUICE_KAFKA_BROKERS ?? stackEndpoints().SLUICE_KAFKA_BROKERS).split(',');
  return createKafka({ brokers, clientId: 'sluice-bench', logLevel: 'nothing' }, { logger: silentLogger });
}
