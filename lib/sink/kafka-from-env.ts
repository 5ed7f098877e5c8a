import type { Publishers } from '../checkpoint/publish';

/**
 * The Kafka publisher for deployed and emulated handlers. Until the transactional publisher
 * lands, a function with a Kafka sink fails its first publish with a clear error.
 */
export async function kafkaPublishersFromEnv(_env: NodeJS.ProcessEnv): Promise<Publishers> {
  return {};
}
