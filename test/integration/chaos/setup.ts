/**
 * Shared by the chaos tests: the real broker, the aws store (DynamoDB Local + moto) with a fresh
 * table and bucket per file, topics created per test and deleted afterwards, and a "process"
 * (store + Kafka publisher + harness) that can be started and abandoned like a Lambda instance.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { ensureKcat } from '../../../infra/local/kcat';
import { configFromEnv } from '../../../lib/core/config';
import { createLogger, silentLogger } from '../../../lib/core/log';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import type { KafkaHandler } from '../../../lib/lambda/handler';
import { createKafkaPublisher, type KafkaPublisher } from '../../../lib/sink/kafka-publisher';
import type { Publishers } from '../../../lib/sink/publisher';
import { createAwsStore } from '../../../lib/store/aws';
import { createAwsClients } from '../../../lib/store/aws-clients';
import { ensureAwsResources } from '../../../lib/store/aws-setup';
import { createHarness, type Harness, type HarnessOptions } from '../../../lib/testing/harness';
import { readCommitted, readWithKcat } from '../../chaos/readers';
import { checkOutputs, checkState, type OutputCheck, outputsOk } from '../../chaos/verify';
import type { Reference } from '../../chaos/word-count';
import { injectedStack } from '../helpers/stack';
import { uniqueName } from '../helpers/unique-name';

export interface ChaosEnv {
  brokers: string;
  kafka: KafkaClient;
  table: string;
  bucket: string;
  clients: { dynamodb: DynamoDBClient; s3: S3Client };
  topics: string[];
}

/** Call in beforeAll: Kafka client, kcat, a fresh table and bucket. */
export async function openChaosEnv(): Promise<ChaosEnv> {
  const brokers = injectedStack().SLUICE_KAFKA_BROKERS;
  ensureKcat({ log: (line) => console.log(line) });
  const kafka = await createKafka({
    ...kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: brokers })),
    clientId: 'chaos',
  });
  const table = `sluice-chaos-${randomUUID()}`;
  const bucket = `sluice-chaos-${randomUUID().slice(0, 8)}`;
  const clients = createAwsClients();
  await ensureAwsResources({ table, bucket, ...clients });
  return { brokers, kafka, table, bucket, clients, topics: [] };
}

/** Call in afterAll. The bucket is left to moto's in-memory reset (objects are small). */
export async function closeChaosEnv(env: ChaosEnv | undefined): Promise<void> {
  if (!env) return;
  if (env.topics.length > 0)
    await env.kafka
      .admin()
      .deleteTopics(env.topics)
      .catch(() => {});
  await env.clients.dynamodb.send(new DeleteTableCommand({ TableName: env.table })).catch(() => {});
  await env.kafka.close();
  env.clients.dynamodb.destroy();
  env.clients.s3.destroy();
}

/** A source and a sink topic no other test uses. */
export async function chaosTopics(env: ChaosEnv, partitions = { source: 3, sink: 3 }) {
  const source = uniqueName('chaos-src');
  const sink = uniqueName('chaos-out');
  const admin = env.kafka.admin();
  await admin.createTopic(source, { partitions: partitions.source });
  await admin.createTopic(sink, { partitions: partitions.sink });
  await admin.disconnect();
  env.topics.push(source, sink);
  return { source, sink };
}

/** A Lambda instance: its own aws store object, its own Kafka publisher (producers), its harness. */
export interface ChaosProcess {
  harness: Harness;
  publisher: KafkaPublisher;
  /** A crash: the process is gone with its producers (open transactions stay on the broker). */
  abandon(): Promise<void>;
}

/** `options`: harness options (clock, namespace; `store` replaces the file's aws store). */
export function startProcess(
  env: ChaosEnv,
  handler: KafkaHandler,
  wrap: (publisher: KafkaPublisher) => Publishers = (publisher) => ({ kafka: publisher }),
  options: Omit<HarnessOptions, 'publishers'> = {},
): ChaosProcess {
  const publisher = createKafkaPublisher({
    kafka: env.kafka,
    log: process.env.CHAOS_DEBUG ? createLogger({ level: 'debug' }) : silentLogger,
  });
  const store = options.store ?? createAwsStore({ table: env.table, bucket: env.bucket, ...env.clients });
  const harness = createHarness(handler, { ...options, store, publishers: wrap(publisher) });
  return {
    harness,
    publisher,
    // Closing only drops the sockets, as a kill does: an open transaction stays on the broker
    // until the next init of its id aborts it.
    abandon: async () => {
      await publisher.close();
    },
  };
}

/**
 * Reads the sink with kcat (librdkafka, an independent client) and with kafkajs, both
 * read_committed, and checks both against the reference. kafkajs is patched
 * (patches/kafkajs+2.2.4.patch): unpatched, it delivered records of aborted transactions when
 * those of several producers interleave, as zombies fenced mid-transaction do.
 */
export async function expectExactlyOnce(
  env: Pick<ChaosEnv, 'brokers' | 'kafka'>,
  sink: string,
  reference: Reference,
  label: string,
): Promise<{ kafkajs: OutputCheck; kcat: OutputCheck }> {
  const viaKcat = checkOutputs(reference, await readWithKcat(env.brokers, sink));
  const viaKafkajs = checkOutputs(
    reference,
    await readCommitted(env.kafka, sink, { expected: reference.total }),
  );
  const show = (check: OutputCheck) => JSON.stringify({ ...check, examples: check.examples.slice(0, 4) });
  const both = `kcat: ${show(viaKcat)}\nkafkajs: ${show(viaKafkajs)}`;
  expect(viaKcat, `${label}, kcat read_committed:\n${both}`).toSatisfy(outputsOk);
  expect(viaKafkajs, `${label}, kafkajs read_committed:\n${both}`).toSatisfy(outputsOk);
  return { kafkajs: viaKafkajs, kcat: viaKcat };
}

/** The committed state of every partition equals the reference fold. */
export async function expectStateEqualsFold(harness: Harness, reference: Reference, partitions: number) {
  const actual = new Map<number, Record<string, unknown>>();
  for (let p = 0; p < partitions; p++) actual.set(p, await harness.state(p));
  const result = checkState(reference, actual);
  expect(result.mismatches, result.examples.join('; ')).toBe(0);
}
