/**
 * The Kafka adapter (lib/kafka) against the real broker of the local stack: topics, produce and
 * consume, transactions with consumer-group offsets, read_committed isolation, fencing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../lib/core/config';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import { isProducerFenced } from '../../../lib/kafka/errors';
import { injectedStack } from '../helpers/stack';
import { uniqueName } from '../helpers/unique-name';
import { waitFor } from '../helpers/wait-for';

interface Received {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

let kafka: KafkaClient;
const topics: string[] = [];

beforeAll(async () => {
  const config = kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS }));
  kafka = await createKafka({ ...config, clientId: 'sluice-smoke-test' });
});

afterAll(async () => {
  if (topics.length > 0) await kafka.admin().deleteTopics(topics);
  await kafka.close();
});

async function newTopic(prefix: string, partitions: number): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  expect(await admin.createTopic(topic, { partitions })).toBe(true);
  topics.push(topic);
  await admin.disconnect();
  return topic;
}

/** Consumes `topic` from the beginning in a fresh group until `done(received)` holds. */
async function consumeUntil(
  topic: string,
  done: (received: Received[]) => boolean,
  options: { readUncommitted?: boolean } = {},
): Promise<Received[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('smoke-reader'),
    readUncommitted: options.readUncommitted,
    // Short fetch long-poll: disconnect() waits for the fetch in flight (kafkajs default 5 s).
    maxWaitTimeInMs: 100,
  });
  const received: Received[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ partition, records }) => {
        for (const message of records) {
          received.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
          });
        }
      },
    });
    await waitFor(() => done(received), { message: `consumer of ${topic} did not get the expected records` });
    return received;
  } finally {
    await consumer.disconnect();
  }
}

describe('Kafka adapter on the local broker', () => {
  it('reaches a KRaft broker', async () => {
    const admin = kafka.admin();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers).toHaveLength(1);
    expect(`${cluster.brokers[0]!.host}:${cluster.brokers[0]!.port}`).toBe(
      injectedStack().SLUICE_KAFKA_BROKERS,
    );
  });

  it('produces keyed records across partitions and consumes them in per-partition order', async () => {
    const topic = await newTopic('smoke-plain', 3);
    const admin = kafka.admin();
    expect(await admin.partitions(topic)).toEqual([0, 1, 2]);
    await admin.disconnect();

    const producer = kafka.producer();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i % 6}`,
      value: `v${i}`,
      headers: [['trace', `t${i}`] as [string, string]],
    }));
    const produced = await producer.send([{ topic, messages }]);
    expect(produced.every((batch) => batch.topic === topic && batch.baseOffset >= 0)).toBe(true);

    const received = await consumeUntil(topic, (r) => r.length >= 30);
    expect(received.map((r) => r.value).sort()).toEqual(messages.map((m) => m.value).sort());
    // One key always lands on one partition, and each partition is read in offset order.
    const partitionOfKey = new Map<string, Set<number>>();
    for (const r of received)
      partitionOfKey.set(r.key!, (partitionOfKey.get(r.key!) ?? new Set()).add(r.partition));
    expect([...partitionOfKey.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set(received.map((r) => r.partition)).size).toBeGreaterThan(1);
    for (const p of [0, 1, 2]) {
      const values = received.filter((r) => r.partition === p);
      expect(values.map((r) => r.offset)).toEqual(values.map((_, i) => i));
      const sent = messages.filter((m) => received.find((r) => r.value === m.value)!.partition === p);
      expect(values.map((r) => r.value)).toEqual(sent.map((m) => m.value));
    }
  });

  it('commits records and consumer-group offsets in one transaction', async () => {
    const source = await newTopic('smoke-source', 3);
    const sink = await newTopic('smoke-sink', 2);
    const group = uniqueName('smoke-outbox');
    const producer = kafka.transactionalProducer({ transactionalId: uniqueName('smoke-txn') });
    await producer.connect();

    await producer.commitTransaction({
      messages: [{ topic: sink, messages: [0, 1, 2, 3].map((i) => ({ key: `w${i}`, value: `out-${i}` })) }],
      offsets: {
        consumerGroupId: group,
        topics: [
          {
            topic: source,
            partitions: [
              { partition: 0, offset: 5 },
              { partition: 2, offset: 7 },
            ],
          },
        ],
      },
    });
    // A second transaction right after the first: its sendOffsets can meet CONCURRENT_TRANSACTIONS.
    await producer.commitTransaction({
      messages: [{ topic: sink, messages: [{ key: 'w4', value: 'out-4', partition: 1 }] }],
      offsets: {
        consumerGroupId: group,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: 9 }] }],
      },
    });

    const admin = kafka.admin();
    const committed = await waitFor(async () => {
      const offsets = await admin.committedOffsets(group, source);
      return offsets.get(0) === 9 ? offsets : undefined;
    });
    await admin.disconnect();
    expect(Object.fromEntries(committed)).toEqual({ 0: 9, 1: null, 2: 7 });

    const received = await consumeUntil(sink, (r) => r.length >= 5);
    expect(received.map((r) => r.value).sort()).toEqual(['out-0', 'out-1', 'out-2', 'out-3', 'out-4']);
  });

  it('hides an aborted transaction from read_committed consumers and keeps its offsets uncommitted', async () => {
    const topic = await newTopic('smoke-isolation', 2);
    const source = await newTopic('smoke-isolation-source', 1);
    const group = uniqueName('smoke-outbox');
    const producer = kafka.transactionalProducer({ transactionalId: uniqueName('smoke-txn') });

    await producer.commitTransaction({
      messages: [{ topic, messages: [{ value: 'committed-1', partition: 0 }] }],
      offsets: {
        consumerGroupId: group,
        topics: [{ topic: source, partitions: [{ partition: 0, offset: 1 }] }],
      },
    });
    const aborted = await producer.beginTransaction();
    await aborted.send([
      { topic, messages: ['aborted-1', 'aborted-2'].map((value) => ({ value, partition: 0 })) },
    ]);
    await aborted.sendOffsets({
      consumerGroupId: group,
      topics: [{ topic: source, partitions: [{ partition: 0, offset: 100 }] }],
    });
    await aborted.abort();
    await producer.commitTransaction({
      messages: [{ topic, messages: [{ value: 'committed-2', partition: 0 }] }],
    });

    // Same partition, so a read_committed reader that has seen committed-2 has passed the aborted records.
    const committed = await consumeUntil(topic, (r) => r.some((m) => m.value === 'committed-2'));
    expect(committed.map((r) => r.value)).toEqual(['committed-1', 'committed-2']);
    // The aborted records are in the log: a read_uncommitted reader sees them.
    const uncommitted = await consumeUntil(topic, (r) => r.some((m) => m.value === 'committed-2'), {
      readUncommitted: true,
    });
    expect(uncommitted.map((r) => r.value)).toEqual(['committed-1', 'aborted-1', 'aborted-2', 'committed-2']);

    const admin = kafka.admin();
    expect((await admin.committedOffsets(group, source)).get(0)).toBe(1);
    await admin.disconnect();
  });

  // kafkajs 2.2.4 filtered aborted transactions assuming the broker lists them by first
  // offset; it lists them in abort order, so B-then-A aborts leaked A's records. Patched in
  // patches/kafkajs+2.2.4.patch (applied by `npm install`).
  it('hides interleaved aborted transactions of several producers, aborted out of order', async () => {
    const topic = await newTopic('smoke-interleaved', 1);
    const a = kafka.transactionalProducer({ transactionalId: uniqueName('smoke-txn-a') });
    const b = kafka.transactionalProducer({ transactionalId: uniqueName('smoke-txn-b') });
    const c = kafka.transactionalProducer({ transactionalId: uniqueName('smoke-txn-c') });
    const txA = await a.beginTransaction();
    await txA.send([{ topic, messages: [{ value: 'aborted-a', partition: 0 }] }]);
    const txB = await b.beginTransaction();
    await txB.send([{ topic, messages: [{ value: 'aborted-b', partition: 0 }] }]);
    await txB.abort();
    await txA.abort();
    await c.commitTransaction({ messages: [{ topic, messages: [{ value: 'committed-c', partition: 0 }] }] });

    const committed = await consumeUntil(topic, (r) => r.some((m) => m.value === 'committed-c'));
    expect(committed.map((r) => r.value)).toEqual(['committed-c']);
    await Promise.all([a.disconnect(), b.disconnect(), c.disconnect()]);
  });

  it('fences the older producer when a newer one takes the same transactional id', async () => {
    const topic = await newTopic('smoke-fencing', 1);
    const transactionalId = uniqueName('smoke-txn');
    const zombie = kafka.transactionalProducer({ transactionalId });
    await zombie.connect();
    const successor = kafka.transactionalProducer({ transactionalId });
    await successor.connect();

    const error = await zombie
      .commitTransaction({ messages: [{ topic, messages: [{ value: 'from-zombie' }] }] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error, 'the fenced producer must fail').not.toBeNull();
    expect(isProducerFenced(error), `not a fencing error: ${String(error)}`).toBe(true);

    await successor.commitTransaction({ messages: [{ topic, messages: [{ value: 'from-successor' }] }] });
    const received = await consumeUntil(topic, (r) => r.some((m) => m.value === 'from-successor'));
    expect(received.map((r) => r.value)).toEqual(['from-successor']);
  });
});
