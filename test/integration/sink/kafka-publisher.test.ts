/**
 * The Kafka publisher against the real broker: what an outbox becomes on the wire (topic,
 * partition, key, value, headers, marker), and what a publish costs cold and warm.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Outbox, OutboxMessage, TaskId } from '../../../lib/core/checkpoint';
import { configFromEnv } from '../../../lib/core/config';
import { noFaults } from '../../../lib/core/faults';
import { serde } from '../../../lib/core/serde';
import { outboxGroupId } from '../../../lib/core/task';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import { kafkaSink } from '../../../lib/sink/kafka';
import { createKafkaPublisher } from '../../../lib/sink/kafka-publisher';
import type { Sink } from '../../../lib/sink/sink';
import { readWithKcat } from '../../chaos/readers';
import { injectedStack } from '../helpers/stack';
import { uniqueName } from '../helpers/unique-name';

let kafka: KafkaClient;
let brokers: string;
const topics: string[] = [];

beforeAll(async () => {
  brokers = injectedStack().SLUICE_KAFKA_BROKERS;
  kafka = await createKafka({
    ...kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: brokers })),
    clientId: 'publisher-test',
  });
});
afterAll(async () => {
  if (topics.length > 0) await kafka.admin().deleteTopics(topics);
  await kafka.close();
});

async function topic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.createTopic(name, { partitions });
  await admin.disconnect();
  topics.push(name);
  return name;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

it('writes outputs with their key, value, headers and partition, and moves the marker', async () => {
  const source = await topic('pub-src', 2);
  const target = await topic('pub-out', 4);
  const task: TaskId = { fn: `pub-${source.slice(-8)}`, topic: source, partition: 1 };
  const sinks: Record<string, Sink> = {
    out: kafkaSink({ topic: target, value: serde.string() }) as Sink,
    byLength: kafkaSink({
      topic: target,
      value: serde.string(),
      partitioner: (key, partitions) => (key?.length ?? 0) % partitions,
    }) as Sink,
  };
  const messages: OutboxMessage[] = [
    { sink: 'out', key: b64('k1'), value: b64('v1'), headers: [['trace', b64('t1')]] },
    { sink: 'out', key: b64('k1'), value: b64('v2') },
    { sink: 'out', key: null, value: b64('no key'), partition: 3 },
    { sink: 'out', key: b64('gone'), value: null },
    { sink: 'byLength', key: b64('abcdef'), value: b64('six') },
  ];
  const publisher = createKafkaPublisher({ kafka });
  const outbox: Outbox = { firstOffset: 5, endOffset: 9, messages };
  await publisher.publish({ namespace: 'test', task, outbox, messages, sinks, faults: noFaults });
  await publisher.publish({ namespace: 'test', task, outbox, messages, sinks, faults: noFaults }); // known published
  await publisher.close();

  const seen = await readWithKcat(brokers, target);
  const byValue = new Map(seen.map((r) => [r.value, r]));
  expect(seen).toHaveLength(5);
  expect(byValue.get('v1')!.partition).toBe(byValue.get('v2')!.partition); // one key, one partition
  expect(byValue.get('v1')!.offset).toBeLessThan(byValue.get('v2')!.offset); // in emit order
  expect(byValue.get('no key')!.partition).toBe(3);
  expect(byValue.get('six')!.partition).toBe(6 % 4);
  expect(byValue.get('')?.key).toBe('gone'); // kcat prints a null value as empty
  const admin = kafka.admin();
  expect((await admin.committedOffsets(outboxGroupId('test', task.fn), source)).get(1)).toBe(10);
  await admin.disconnect();
});

it('costs one init and one marker read per task cold, neither warm (latency printed)', async () => {
  const source = await topic('cost-src', 3);
  const target = await topic('cost-out', 3);
  const sinks: Record<string, Sink> = { out: kafkaSink({ topic: target, value: serde.string() }) as Sink };
  const fn = `cost-${source.slice(-8)}`;
  const messages = Array.from({ length: 20 }, (_, i) => ({
    sink: 'out',
    key: b64(`k${i}`),
    value: b64(`v${i}`),
  }));
  const publisher = createKafkaPublisher({ kafka });
  const time = async (task: TaskId, endOffset: number) => {
    const started = performance.now();
    const outbox = { firstOffset: endOffset - 9, endOffset, messages };
    await publisher.publish({ namespace: 'test', task, outbox, messages, sinks, faults: noFaults });
    return performance.now() - started;
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let partition = 0; partition < 3; partition++)
    cold.push(await time({ fn, topic: source, partition }, 9));
  for (let round = 1; round <= 20; round++) {
    for (let partition = 0; partition < 3; partition++) {
      warm.push(await time({ fn, topic: source, partition }, 9 + round * 10));
    }
  }
  const reflush = await time({ fn, topic: source, partition: 0 }, 209);
  const stats = publisher.stats();
  await publisher.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;
  console.log(
    `publish latency per outbox of 20 messages: cold median ${median(cold).toFixed(1)} ms ` +
      `(${cold.map((x) => x.toFixed(0)).join(', ')}); warm median ${median(warm).toFixed(1)} ms, ` +
      `p95 ${p95(warm).toFixed(1)} ms; known-published re-flush ${reflush.toFixed(2)} ms`,
  );
  expect(stats).toMatchObject({ published: 63, inits: 3, skippedWarm: 1, retriedAttempts: 0 });
  expect((await readWithKcat(brokers, target)).length).toBe(63 * 20);
});
