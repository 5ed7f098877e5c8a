/** Topics for benchmarks: unique names (the broker is shared with other runs), filled fast. */
import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../../lib/kafka/client';
import { sentences } from './data';

export function uniqueTopic(prefix: string): string {
  return `bench-${prefix}-${randomUUID()}`;
}

/**
 * Creates `topic` with `partitions` and writes `count` records of ~`bytes` bytes, spread evenly
 * over the partitions (round robin). Returns the producer's records per second.
 */
export async function fillTopic(
  kafka: KafkaClient,
  options: { topic: string; partitions: number; count: number; bytes?: number; seed?: number },
): Promise<{ recordsPerSecond: number; bytes: number }> {
  const admin = kafka.admin();
  await admin.createTopic(options.topic, { partitions: options.partitions });
  await admin.disconnect();
  const producer = kafka.kafkajs.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  const chunk = 5_000;
  const inFlight = 4;
  let bytes = 0;
  // One vocabulary draw for a slice, reused: generating 1M sentences would cost more than sending them.
  const pool = sentences(Math.min(options.count, 50_000), {
    seed: options.seed ?? 7,
    bytes: options.bytes ?? 100,
  });
  const sends: Array<Promise<unknown>> = [];
  for (let from = 0; from < options.count; from += chunk) {
    const messages = [];
    for (let i = from; i < Math.min(from + chunk, options.count); i++) {
      const value = pool[i % pool.length]!;
      bytes += value.length;
      messages.push({ value, partition: i % options.partitions });
    }
    sends.push(producer.send({ topic: options.topic, acks: 1, messages }));
    if (sends.length >= inFlight) await sends.shift();
  }
  await Promise.all(sends);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { recordsPerSecond: options.count / seconds, bytes };
}

export async function deleteTopics(kafka: KafkaClient, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.deleteTopics(topics).catch(() => {});
  await admin.disconnect();
}
