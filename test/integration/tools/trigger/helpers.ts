import { onTestFinished } from 'vitest';
import { type Logger, silentLogger } from '../../../../lib/core/log';
import { decodeEvent } from '../../../../lib/event/decode';
import type { RawRecord } from '../../../../lib/event/types';
import { createKafka, type KafkaClient } from '../../../../lib/kafka/client';
import type { KafkaMessage } from '../../../../lib/kafka/messages';
import { type EmulatedFunction, type Emulator, startEmulator } from '../../../../tools/trigger/emulator';
import { createInProcessInvoker, type LambdaFunction } from '../../../../tools/trigger/invoker';
import { resolveTriggerSettings, type TriggerSettingsInput } from '../../../../tools/trigger/settings';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';

export { waitFor };

/** A Kafka client for the test, closed when it ends. */
export async function testKafka(): Promise<KafkaClient> {
  const kafka = await createKafka(
    {
      brokers: injectedStack().SLUICE_KAFKA_BROKERS.split(','),
      logLevel: 'nothing',
      clientId: 'sluice-trigger-test',
    },
    { logger: silentLogger },
  );
  onTestFinished(() => kafka.close());
  return kafka;
}

/** A new topic (unique name), deleted when the test ends. */
export async function testTopic(kafka: KafkaClient, partitions = 1, prefix = 'trigger'): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.createTopic(topic, { partitions });
  onTestFinished(async () => {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.disconnect();
  });
  return topic;
}

export async function produce(kafka: KafkaClient, topic: string, messages: KafkaMessage[]): Promise<void> {
  const producer = kafka.producer();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send([{ topic, messages: messages.slice(i, i + 500) }]);
    }
  } finally {
    await producer.disconnect();
  }
}

/** Trigger settings as serverless.yml would give them; no batching window unless asked. */
export function trigger(input: TriggerSettingsInput) {
  return resolveTriggerSettings(
    'fn',
    { maximumBatchingWindow: 0, consumerGroupId: uniqueName('group'), ...input },
    'test',
  );
}

/** One invocation as the function saw it. */
export interface Seen {
  partition: number;
  records: RawRecord[];
  eventBytes: number;
}

/**
 * A plain Lambda handler that records every event it receives (decoded with Sluice's strict
 * decoder, so a malformed event fails the test) and answers with `behave` (default: success).
 */
export function recorder(behave: (seen: Seen) => unknown | Promise<unknown> = () => undefined) {
  const seen: Seen[] = [];
  const inFlight = new Map<number, number>();
  let active = 0;
  const stats = { maxActive: 0, maxPerPartition: 0 };
  const handler: LambdaFunction = async (event) => {
    const decoded = decodeEvent(event);
    const batch = decoded.batches[0]!;
    const entry: Seen = {
      partition: batch.partition,
      records: batch.records,
      eventBytes: Buffer.byteLength(JSON.stringify(event)),
    };
    seen.push(entry);
    active++;
    inFlight.set(batch.partition, (inFlight.get(batch.partition) ?? 0) + 1);
    stats.maxActive = Math.max(stats.maxActive, active);
    stats.maxPerPartition = Math.max(stats.maxPerPartition, inFlight.get(batch.partition)!);
    try {
      return await behave(entry);
    } finally {
      active--;
      inFlight.set(batch.partition, inFlight.get(batch.partition)! - 1);
    }
  };
  return {
    handler,
    seen,
    stats,
    /** Offsets delivered to `partition`, in delivery order. */
    offsets: (partition = 0) =>
      seen.filter((s) => s.partition === partition).flatMap((s) => s.records.map((r) => r.offset)),
    values: (partition = 0) =>
      seen
        .filter((s) => s.partition === partition)
        .flatMap((s) => s.records.map((r) => r.value?.toString() ?? null)),
    count: () => seen.reduce((n, s) => n + s.records.length, 0),
  };
}

/** Starts the emulator for the test (fast retries, no log noise) and stops it when the test ends. */
export async function emulate(
  kafka: KafkaClient,
  functions: Array<
    Omit<EmulatedFunction, 'invoker'> & { handler?: LambdaFunction; invoker?: EmulatedFunction['invoker'] }
  >,
  options: { log?: Logger; buffer?: { maxRecords?: number; maxBytes?: number } } = {},
): Promise<Emulator> {
  const emulator = await startEmulator({
    kafka,
    log: options.log ?? silentLogger,
    retryBackoff: { initialMs: 20, maxMs: 200 },
    statsIntervalMs: 200,
    buffer: options.buffer,
    functions: functions.map((fn) => ({
      ...fn,
      invoker: fn.invoker ?? createInProcessInvoker(fn.handler!, { functionName: fn.name }),
    })),
  });
  onTestFinished(() => emulator.stop());
  return emulator;
}

/** Waits until every partition of the trigger has committed `offsets[p]`. */
export async function committed(emulator: Emulator, offsets: number[], index = 0, timeoutMs = 30_000) {
  await waitFor(
    () => {
      const partitions = emulator.stats().triggers[index]?.partitions ?? [];
      return offsets.every((offset, p) => partitions.find((s) => s.partition === p)?.committed === offset);
    },
    { timeoutMs, intervalMs: 25, message: `committed offsets never reached ${JSON.stringify(offsets)}` },
  );
}

/** Reads `count` messages of a topic from the beginning (a throwaway group). */
export async function readTopic(kafka: KafkaClient, topic: string, count: number) {
  // A short long-poll: disconnect waits for the fetch in progress.
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const messages: Array<{ key: string | null; value: string; partition: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ partition, records }) => {
      for (const message of records) {
        messages.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          partition,
        });
      }
    },
  });
  try {
    await waitFor(() => messages.length >= count, {
      message: `${count} messages on ${topic}`,
      timeoutMs: 30_000,
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Offsets from..to inclusive. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
