import type { Admin, Kafka, Message, Offsets, ProducerBatch, ProducerConfig } from 'kafkajs';
import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import { wrapAdmin } from '../../../lib/kafka/admin';
import { createTransactionalProducer } from '../../../lib/kafka/producer';
import type { KafkaPort } from '../../../lib/sink/kafka-port';

/**
 * A kafkajs-shaped fake of one broker with transactions, at the boundary under Sluice's Kafka
 * adapter (lib/kafka): producers with transactional ids and epochs (init fences the older ones
 * and aborts their open transaction), messages and consumer-group offsets that become visible
 * only on commit, and failures scripted per operation.
 */
export interface FakeBroker {
  /** committed (visible to read_committed) messages per topic */
  topics: Map<string, Array<Message & { transactionalId: string }>>;
  /** committed group offsets: `${group}|${topic}|${partition}` -> offset */
  offsets: Map<string, number>;
  partitionCounts: Map<string, number>;
  /** every call the clients made, e.g. `init sluice.f.t.0`, `sendBatch`, `fetchOffsets` */
  calls: string[];
  /** throws `error` at the next `times` calls of `op` */
  failNext(op: FailableOp, error: Error, times?: number): void;
  /** A second process's producer for `transactionalId`: init fences ours. */
  kafkajs: Kafka;
  port: KafkaPort;
  producersCreated: number;
  /** open transactions per transactional id (not yet committed or aborted) */
  open: Map<string, { epoch: number; messages: number }>;
}

export type FailableOp =
  | 'sendBatch'
  | 'sendOffsets'
  | 'commit'
  /** the commit is applied, but its response is lost */
  | 'commitResponse'
  | 'abort'
  | 'fetchOffsets'
  | 'init'
  | 'connect';

export function protocolError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ message: `fake ${type}`, type, code, retriable } as unknown as Error);
}

export const concurrentTransactions = () => protocolError('CONCURRENT_TRANSACTIONS', 51, true);
export const invalidEpoch = () => protocolError('INVALID_PRODUCER_EPOCH', 47, false);
export const messageTooLarge = () => protocolError('MESSAGE_TOO_LARGE', 10, false);
export const connectionLost = () => new KafkaJSConnectionError('Connection error: fake socket closed');

export function createFakeBroker(): FakeBroker {
  const epochs = new Map<string, number>();
  const pending = new Map<
    string,
    { epoch: number; messages: Array<{ topic: string; message: Message }>; offsets: Map<string, number> }
  >();
  const failures: Array<{ op: FailableOp; error: Error; times: number }> = [];

  const broker: FakeBroker = {
    topics: new Map(),
    offsets: new Map(),
    partitionCounts: new Map(),
    calls: [],
    failNext(op, error, times = 1) {
      failures.push({ op, error, times });
    },
    kafkajs: undefined as unknown as Kafka,
    port: undefined as unknown as KafkaPort,
    producersCreated: 0,
    open: new Map(),
  };

  const maybeFail = (op: FailableOp) => {
    const i = failures.findIndex((f) => f.op === op);
    const failure = failures[i];
    if (!failure) return;
    failure.times -= 1;
    if (failure.times <= 0) failures.splice(i, 1);
    throw failure.error;
  };
  const syncOpen = () => {
    broker.open.clear();
    for (const [id, txn] of pending) broker.open.set(id, { epoch: txn.epoch, messages: txn.messages.length });
  };

  function producer(config: ProducerConfig) {
    const id = config.transactionalId!;
    broker.producersCreated += 1;
    let epoch = -1;
    let inTxn = false;
    const fenced = () => epochs.get(id) !== epoch;
    const guard = () => {
      if (fenced()) throw invalidEpoch();
    };
    return {
      async connect() {
        broker.calls.push(`connect ${id}`);
        maybeFail('connect');
      },
      async disconnect() {
        broker.calls.push(`disconnect ${id}`);
      },
      async transaction() {
        if (inTxn) throw new Error('There is already an ongoing transaction for this producer');
        if (epoch < 0) {
          broker.calls.push(`init ${id}`);
          maybeFail('init');
          // InitProducerId: bump the epoch (fencing older producers), abort their open transaction.
          pending.delete(id);
          epoch = (epochs.get(id) ?? 0) + 1;
          epochs.set(id, epoch);
          syncOpen();
        }
        inTxn = true;
        let ended = false;
        const txn = () => {
          let t = pending.get(id);
          if (!t) {
            t = { epoch, messages: [], offsets: new Map() };
            pending.set(id, t);
          }
          return t;
        };
        const end = () => {
          ended = true;
          inTxn = false;
        };
        return {
          isActive: () => !ended,
          async sendBatch(batch: ProducerBatch) {
            if (ended) throw new Error('Cannot continue to use transaction once ended');
            broker.calls.push('sendBatch');
            maybeFail('sendBatch');
            guard();
            for (const { topic, messages } of batch.topicMessages ?? []) {
              for (const message of messages) txn().messages.push({ topic, message });
            }
            syncOpen();
            return [];
          },
          async sendOffsets(offsets: Offsets & { consumerGroupId: string }) {
            if (ended) throw new Error('Cannot continue to use transaction once ended');
            broker.calls.push('sendOffsets');
            maybeFail('sendOffsets');
            guard();
            for (const { topic, partitions } of offsets.topics) {
              for (const { partition, offset } of partitions) {
                txn().offsets.set(`${offsets.consumerGroupId}|${topic}|${partition}`, Number(offset));
              }
            }
            syncOpen();
          },
          async commit() {
            if (ended) throw new Error('Cannot continue to use transaction once ended');
            broker.calls.push('commit');
            end();
            maybeFail('commit');
            guard();
            const t = pending.get(id);
            pending.delete(id);
            syncOpen();
            if (!t) return maybeFail('commitResponse');
            for (const { topic, message } of t.messages) {
              const list = broker.topics.get(topic) ?? [];
              list.push({ ...message, transactionalId: id });
              broker.topics.set(topic, list);
            }
            for (const [key, offset] of t.offsets) broker.offsets.set(key, offset);
            maybeFail('commitResponse');
          },
          async abort() {
            if (ended) throw new Error('Cannot continue to use transaction once ended');
            broker.calls.push('abort');
            end();
            maybeFail('abort');
            if (!fenced()) pending.delete(id);
            syncOpen();
          },
        };
      },
    };
  }

  function admin(): Admin {
    return {
      async connect() {},
      async disconnect() {},
      async fetchOffsets({ groupId, topics }: { groupId: string; topics: string[] }) {
        broker.calls.push('fetchOffsets');
        maybeFail('fetchOffsets');
        return topics.map((topic) => ({
          topic,
          partitions: Array.from({ length: broker.partitionCounts.get(topic) ?? 1 }, (_, partition) => ({
            partition,
            offset: String(broker.offsets.get(`${groupId}|${topic}|${partition}`) ?? -1),
            metadata: null,
          })),
        }));
      },
      async describeConfigs({ resources }: { resources: Array<{ name: string; configNames: string[] }> }) {
        broker.calls.push('describeConfigs');
        return {
          resources: resources.map((r) => ({
            resourceName: r.name,
            configEntries: r.configNames
              .filter((name) => name === 'max.message.bytes')
              .map((configName) => ({ configName, configValue: '1048588' })),
          })),
        };
      },
      async fetchTopicMetadata({ topics }: { topics: string[] }) {
        broker.calls.push('fetchTopicMetadata');
        return {
          topics: topics.map((name) => ({
            name,
            partitions: Array.from({ length: broker.partitionCounts.get(name) ?? 1 }, (_, partitionId) => ({
              partitionId,
            })),
          })),
        };
      },
    } as unknown as Admin;
  }

  broker.kafkajs = { producer, admin } as unknown as Kafka;
  broker.port = {
    transactionalProducer: (options) => createTransactionalProducer(broker.kafkajs, options),
    admin: () => wrapAdmin(admin()),
  };
  return broker;
}
