import { classifyKafkaError } from '../kafka/errors';

/**
 * Whether publishing the outbox again, on a fresh producer, can succeed: broker or network
 * trouble, a coordinator still busy or moved, an expired producer id, or fencing by another
 * process (then the marker read after our own init decides whether there is anything left to
 * publish). The adapter (`lib/kafka/errors.ts`) says what the error is; this is the sink's policy.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  const kind = classifyKafkaError(error);
  return kind.fenced || kind.needsFreshProducer || kind.retriable;
}
