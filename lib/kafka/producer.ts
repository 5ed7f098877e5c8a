import {
  type Kafka,
  Partitioners,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type Transaction,
} from 'kafkajs';
import { toKafkajsCompression } from './codecs';
import { classifyKafkaError } from './errors';
import { lazy } from './lazy';
import {
  type ProducedBatch,
  type TopicMessages,
  type TransactionOffsets,
  toKafkajsMessage,
  toKafkajsOffsets,
  toProducedBatches,
} from './messages';

/** A plain producer (acks=all). Connects on first send. */
export interface KafkaProducer {
  send(batch: TopicMessages[]): Promise<ProducedBatch[]>;
  disconnect(): Promise<void>;
}

/**
 * A transactional producer for one `transactionalId`. Connecting runs InitProducerId, which
 * fences any older producer with the same id and aborts its open transaction.
 */
export interface TransactionalProducer {
  readonly transactionalId: string;
  /** Connects and initialises the id (done by the first transaction otherwise). */
  connect(): Promise<void>;
  /**
   * One atomic transaction: send `messages`, commit `offsets` (if given) for their consumer group,
   * commit. On any error it aborts, drops the kafkajs producer (the next call starts a fresh one,
   * as Kafka requires after a failed transaction) and rethrows.
   */
  commitTransaction(input: { messages: TopicMessages[]; offsets?: TransactionOffsets }): Promise<void>;
  /** A transaction to drive step by step (e.g. to abort on purpose). */
  beginTransaction(): Promise<KafkaTransaction>;
  disconnect(): Promise<void>;
}

export interface KafkaTransaction {
  send(batch: TopicMessages[]): Promise<ProducedBatch[]>;
  /** AddOffsetsToTxn + TxnOffsetCommit; retries CONCURRENT_TRANSACTIONS (kafkajs does not). */
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface TransactionalProducerOptions {
  transactionalId: string;
  /** Broker aborts a transaction left open this long (ms). Default 60 s, well above one publish. */
  transactionTimeoutMs?: number;
}

/**
 * CONCURRENT_TRANSACTIONS means the coordinator is still writing the previous transaction's
 * markers (milliseconds). Back off from 20 ms, doubling to 1 s, for at most ~10 s in all.
 */
const CONCURRENT_TXN_FIRST_BACKOFF_MS = 20;
const CONCURRENT_TXN_MAX_BACKOFF_MS = 1_000;
const CONCURRENT_TXN_MAX_ATTEMPTS = 16;
const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/**
 * kafkajs retries an idempotent producer's requests forever by default; a Lambda must rather
 * fail (the transaction is aborted and the batch retried) than hang until its timeout.
 */
const TRANSACTIONAL_RETRIES = 9;
/**
 * Right after EndTxn the broker is still writing the commit markers and answers the next
 * transaction's AddPartitionsToTxn with CONCURRENT_TRANSACTIONS; the Java client retries that
 * after 20 ms, kafkajs after its default 300 ms, which made small transactions ~100 ms each
 * (bench/transactional-output.ts: 12x faster at 10 and 100 records per batch with 20 ms). Nine
 * retries from 20 ms keep about the same total budget as five from 300 ms.
 */
const TRANSACTIONAL_INITIAL_RETRY_MS = 20;

export function createProducer(kafka: Kafka, options: { idempotent?: boolean } = {}): KafkaProducer {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: options.idempotent ?? false,
    allowAutoTopicCreation: false,
  });
  const connected = lazy(() => producer.connect());
  return {
    async send(batch) {
      await connected.get();
      return sendByCompression(batch, (request) => producer.sendBatch(request));
    },
    disconnect: () => connected.reset(() => producer.disconnect()),
  };
}

export function createTransactionalProducer(
  kafka: Kafka,
  options: TransactionalProducerOptions,
): TransactionalProducer {
  let current: { producer: Producer; connected: ReturnType<typeof lazy> } | null = null;
  const open = async () => {
    if (!current) {
      const producer = kafka.producer({
        transactionalId: options.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
        retry: { retries: TRANSACTIONAL_RETRIES, initialRetryTime: TRANSACTIONAL_INITIAL_RETRY_MS },
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
      });
      // kafkajs's connect() only gets an idempotent producer id; the transactional InitProducerId
      // (which fences older producers of this id) runs at its first transaction(). Run it now
      // with an empty transaction: nothing reaches the broker but the init.
      const init = async () => {
        await producer.connect();
        await (await producer.transaction()).abort();
      };
      current = { producer, connected: lazy(init) };
    }
    const { producer, connected } = current;
    await connected.get();
    return producer;
  };
  const drop = async () => {
    const dropped = current;
    current = null;
    await dropped?.connected.reset(() => dropped.producer.disconnect()).catch(() => {});
  };
  const begin = async (): Promise<KafkaTransaction> => wrapTransaction(await (await open()).transaction());

  return {
    transactionalId: options.transactionalId,
    connect: async () => {
      await open();
    },
    beginTransaction: begin,
    async commitTransaction({ messages, offsets }) {
      let tx: KafkaTransaction | undefined;
      try {
        tx = await begin();
        if (messages.length > 0) await tx.send(messages);
        if (offsets) await tx.sendOffsets(offsets);
        await tx.commit();
      } catch (error) {
        await tx?.abort().catch(() => {});
        await drop();
        throw error;
      }
    },
    disconnect: drop,
  };
}

function wrapTransaction(tx: Transaction): KafkaTransaction {
  return {
    async send(batch) {
      return sendByCompression(batch, (request) => tx.sendBatch(request));
    },
    async sendOffsets(offsets) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await tx.sendOffsets(toKafkajsOffsets(offsets));
        } catch (error) {
          if (!classifyKafkaError(error).concurrentTransactions || attempt >= CONCURRENT_TXN_MAX_ATTEMPTS)
            throw error;
          const backoff = Math.min(
            CONCURRENT_TXN_FIRST_BACKOFF_MS * 2 ** (attempt - 1),
            CONCURRENT_TXN_MAX_BACKOFF_MS,
          );
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
    },
    commit: () => tx.commit(),
    abort: () => tx.abort(),
  };
}

/**
 * kafkajs compresses a whole produce request with one codec, so topics asking for different
 * codecs go in one request each, in order (a topic's own messages stay in one request).
 */
async function sendByCompression(
  batch: TopicMessages[],
  sendBatch: (request: ProducerBatch) => Promise<RecordMetadata[]>,
): Promise<ProducedBatch[]> {
  const groups: TopicMessages[][] = [];
  for (const topicMessages of batch) {
    const last = groups.at(-1);
    if (last && (last[0]!.compression ?? 'none') === (topicMessages.compression ?? 'none'))
      last.push(topicMessages);
    else groups.push([topicMessages]);
  }
  const produced: ProducedBatch[] = [];
  for (const group of groups) {
    const metadata = await sendBatch({
      acks: -1,
      compression: toKafkajsCompression(group[0]!.compression),
      topicMessages: group.map(({ topic, messages }) => ({
        topic,
        messages: messages.map(toKafkajsMessage),
      })),
    });
    produced.push(...toProducedBatches(metadata));
  }
  return produced;
}
