import { isProducerFenced, kafkaErrorType } from '../kafka/producer';

/** Connection-level failures (kafkajs error names, Node socket codes) worth a fresh producer. */
const TRANSIENT_NAMES = [
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
];
const TRANSIENT_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'];
/**
 * Protocol errors kafkajs marks non-retriable that a fresh producer (a new InitProducerId) fixes:
 * the coordinator was busy, moved, or forgot the id (`transactional.id.expiration.ms`, 7 days
 * idle by default, expires a warm producer's id).
 */
const RETRY_ON_FRESH_PRODUCER = [
  'CONCURRENT_TRANSACTIONS',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTION_COORDINATOR_FENCED',
  'INVALID_TXN_STATE',
];

/**
 * Whether publishing again on a fresh producer can succeed: broker or network trouble, a
 * coordinator still busy, or fencing by another process (then the marker read after our own
 * init decides). kafkajs wraps the broker's error (`cause`, `originalError`), so the chain is
 * walked. Protocol errors: https://kafka.apache.org/protocol.html#protocol_error_codes
 */
export function isRetriableKafkaError(error: unknown): boolean {
  if (isProducerFenced(error) || RETRY_ON_FRESH_PRODUCER.includes(kafkaErrorType(error) ?? '')) return true;
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth++) {
    const { name, code, retriable } = e as { name?: unknown; code?: unknown; retriable?: unknown };
    if (
      retriable === true ||
      TRANSIENT_NAMES.includes(String(name)) ||
      TRANSIENT_CODES.includes(String(code))
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}
