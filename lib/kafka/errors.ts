/**
 * The one place that reads the Kafka client's errors. kafkajs throws its own classes (matched
 * here by name, as its errors cross module copies and CommonJS/ESM boundaries) wrapping the
 * broker's protocol error (`type`, e.g. `CONCURRENT_TRANSACTIONS`) in `cause`/`originalError`;
 * everything above `lib/kafka` asks `classifyKafkaError` instead, so a second client only has to
 * fill in the same answers. Protocol errors: https://kafka.apache.org/protocol.html#protocol_error_codes
 */

/** What Sluice needs to know about a failed Kafka call. */
export interface KafkaErrorClass {
  /** The broker's protocol error name (`INVALID_PRODUCER_EPOCH`, ...), if the chain carries one. */
  type: string | undefined;
  /**
   * The same call may succeed later: network or broker trouble (a closed connection, a
   * timeout, retries exhausted, a leader moving), or a protocol error the broker marks retriable.
   */
  retriable: boolean;
  /** A newer producer with the same transactional id took over: this one must stop. */
  fenced: boolean;
  /** The transaction coordinator is still finishing the previous transaction (milliseconds). */
  concurrentTransactions: boolean;
  /**
   * The producer's transactional state is gone or stale (coordinator busy or moved, producer id
   * expired after `transactional.id.expiration.ms`): a fresh producer (a new InitProducerId) fixes it.
   */
  needsFreshProducer: boolean;
  /** The partition's leader moved or is not known yet: refreshed metadata fixes it. */
  notLeader: boolean;
  /** A record or request exceeds the broker's or topic's size limit: retrying cannot help. */
  tooLarge: boolean;
}

/** kafkajs's connection-level errors, and Node socket codes, that a retry can outlive. */
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
const FENCED = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED'];
/** Protocol errors kafkajs marks non-retriable that a new InitProducerId fixes. */
const FRESH_PRODUCER = [
  'CONCURRENT_TRANSACTIONS',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTION_COORDINATOR_FENCED',
  'INVALID_TXN_STATE',
];
const NOT_LEADER = ['NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE'];
const TOO_LARGE = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'];

/** How deep wrappers are followed: kafkajs nests a retried request's error a few levels. */
const MAX_DEPTH = 6;

/**
 * Classifies an error thrown by the Kafka client (any value is accepted; non-Kafka errors get
 * all flags false unless they carry a transient socket code).
 *
 * @example
 * const { fenced, retriable } = classifyKafkaError(error);
 * if (fenced) return stopProducing();
 */
export function classifyKafkaError(error: unknown): KafkaErrorClass {
  const type = kafkaErrorType(error);
  let transient = false;
  for (const e of chain(error, MAX_DEPTH)) {
    const { name, code, retriable } = e as { name?: unknown; code?: unknown; retriable?: unknown };
    if (
      retriable === true ||
      TRANSIENT_NAMES.includes(String(name)) ||
      TRANSIENT_CODES.includes(String(code))
    ) {
      transient = true;
      break;
    }
  }
  const is = (types: readonly string[]) => type !== undefined && types.includes(type);
  return {
    type,
    retriable: transient,
    fenced: is(FENCED),
    concurrentTransactions: type === 'CONCURRENT_TRANSACTIONS',
    needsFreshProducer: is(FRESH_PRODUCER),
    notLeader: is(NOT_LEADER),
    tooLarge: is(TOO_LARGE),
  };
}

/** True when a newer producer with the same transactional id took over: this one must stop. */
export function isProducerFenced(error: unknown): boolean {
  return classifyKafkaError(error).fenced;
}

/**
 * The protocol error type of a kafkajs error: the first `type` along the wrapper chain.
 * Internal to the adapter; callers read `classifyKafkaError`.
 */
function kafkaErrorType(error: unknown): string | undefined {
  for (const e of chain(error, MAX_DEPTH - 1)) {
    const { type, message } = e as { type?: unknown; message?: unknown };
    // kafkajs 2.2.4 predates PRODUCER_FENCED (code 90, KIP-588) and reports it as an unknown code.
    if (type === 'KAFKAJS_UNKNOWN_ERROR_CODE' && /\bcode 90\b/.test(String(message)))
      return 'PRODUCER_FENCED';
    if (typeof type === 'string') return type;
  }
  return undefined;
}

/** The error and what it wraps (`cause`, else kafkajs's `originalError`), at most `depth` objects. */
function* chain(error: unknown, depth: number): Generator<object> {
  for (let e = error, i = 0; typeof e === 'object' && e !== null && i < depth; i++) {
    yield e;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
}
