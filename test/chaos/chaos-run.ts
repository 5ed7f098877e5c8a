/**
 * The chaos run: N records through the trigger emulator in a child process that is SIGKILLed at
 * seeded random moments and restarted, then a check of everything against the reference fold —
 * outputs read with read_committed (kcat and the patched kafkajs, both must be exact), state read from the aws
 * store. Used by `npm run chaos` (run-chaos.ts) and the short integration test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ensureKcat } from '../../infra/local/kcat';
import { REPO_ROOT } from '../../infra/local/paths';
import { stackEndpoints, stackUp } from '../../infra/local/stack';
import { configFromEnv } from '../../lib/core/config';
import { createKafka, type KafkaClient } from '../../lib/kafka/client';
import { kafkaConfigOf } from '../../lib/kafka/config';
import { createAwsStore } from '../../lib/store/aws';
import { createAwsClients } from '../../lib/store/aws-clients';
import { ensureAwsResources } from '../../lib/store/aws-setup';
import { readCommitted, readWithKcat } from './readers';
import { checkOutputs, checkState, type OutputCheck, outputsOk } from './verify';
import { random, referenceFold, type Sentence, sentences } from './word-count';

export interface ChaosOptions {
  seed: number;
  /** source records (default 100k) */
  records?: number;
  partitions?: number;
  /** SIGKILLs, at least (default 5) */
  kills?: number;
  /** the trigger's batchSize (default 100, Lambda's default) */
  batchSize?: number;
  /** keep topics, table and bucket for inspection */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface ChaosSummary {
  ok: boolean;
  seed: number;
  records: number;
  partitions: number;
  runs: number;
  kills: number;
  /** source fully consumed by the emulator's consumer group at the end */
  consumed: boolean;
  outputs: Omit<OutputCheck, 'examples'>;
  /** the same outputs as kafkajs's read_committed consumer sees them (see readers.ts) */
  kafkajsOutputs: Omit<OutputCheck, 'examples'>;
  stateMismatches: number;
  examples: string[];
  seconds: number;
  names: { fn: string; source: string; sink: string; table: string; bucket: string; logs: string };
}

/** A run may not start producing later than this after being spawned (tsx compile, imports, join). */
const CHILD_READY_TIMEOUT_MS = 90_000;
/** How long a clean stop (SIGTERM: finish batches in flight, commit) may take before SIGKILL. */
const CHILD_STOP_TIMEOUT_MS = 20_000;
const PROGRESS_POLL_MS = 50;
/** Kills land between these fractions of the source consumed, plus up to KILL_JITTER_MS. */
const KILL_RANGE = [0.05, 0.9] as const;
const KILL_JITTER_MS = 400;
const PRODUCE_CHUNK = 2_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.error(`[chaos] ${line}`));
  const records = options.records ?? 100_000;
  const partitions = options.partitions ?? 4;
  const kills = options.kills ?? 5;
  const next = random(options.seed);

  const env = await stackEnv(log);
  ensureKcat({ log });
  const id = randomUUID().slice(0, 8);
  const names = {
    fn: `chaos-${options.seed}-${id}`,
    source: `chaos-src-${options.seed}-${id}`,
    sink: `chaos-out-${options.seed}-${id}`,
    table: `sluice-chaos-${id}`,
    bucket: `sluice-chaos-${id}`,
    logs: join(tmpdir(), `sluice-chaos-${options.seed}-${id}`),
  };
  mkdirSync(names.logs, { recursive: true });
  const group = `sluice-${names.fn}`; // the emulator's default consumer group
  const kafka = await createKafka({ ...kafkaConfigOf(configFromEnv(env)), clientId: 'chaos-runner' });
  const clients = createAwsClients(env);
  const admin = kafka.admin();
  let child: RunningChild | null = null;
  try {
    await admin.createTopic(names.source, { partitions });
    await admin.createTopic(names.sink, { partitions });
    await ensureAwsResources({ table: names.table, bucket: names.bucket, ...clients });
    const input = sentences(options.seed, records, partitions, 200);
    await produce(kafka, names.source, input);
    log(`produced ${records} records to ${names.source} (${partitions} partitions); logs in ${names.logs}`);

    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      SLUICE_STORE: 'aws',
      SLUICE_TABLE: names.table,
      SLUICE_BUCKET: names.bucket,
      SLUICE_LOG_LEVEL: 'warn',
      CHAOS_FN: names.fn,
      CHAOS_SOURCE: names.source,
      CHAOS_SINK: names.sink,
      CHAOS_BATCH_SIZE: String(options.batchSize ?? 100),
    };
    const progress = async () => {
      const committed = await admin.committedOffsets(group, names.source);
      return [...committed.values()].reduce<number>((sum, offset) => sum + (offset ?? 0), 0) / records;
    };
    const thresholds = Array.from(
      { length: kills },
      () => KILL_RANGE[0] + next() * (KILL_RANGE[1] - KILL_RANGE[0]),
    );
    thresholds.sort((a, b) => a - b);
    let runs = 0;
    let killed = 0;
    for (const threshold of thresholds) {
      const logFile = join(names.logs, `run-${++runs}.log`);
      child = await startChild(childEnv, logFile);
      // Kill while it works: past the threshold, and after this run committed something itself.
      const from = await progress();
      await until(
        async () => {
          const now = await progress();
          return now >= threshold && now > from;
        },
        30 * 60_000,
        `progress ${threshold}`,
        child,
        logFile,
      );
      await sleep(Math.floor(next() * KILL_JITTER_MS));
      const at = await progress();
      await child.kill('SIGKILL');
      child = null;
      killed += 1;
      log(
        `run ${runs}: SIGKILL at ${(at * 100).toFixed(1)}% consumed (target ${(threshold * 100).toFixed(1)}%)`,
      );
    }
    const lastLog = join(names.logs, `run-${++runs}.log`);
    child = await startChild(childEnv, lastLog);
    await until(
      async () => (await progress()) >= 1,
      60 * 60_000,
      'the source fully consumed',
      child,
      lastLog,
    );
    await child.stop();
    child = null;
    const consumed = (await progress()) >= 1;
    log(`run ${runs}: consumed everything; verifying`);

    const reference = referenceFold(input);
    const viaKcat = checkOutputs(
      reference,
      await readWithKcat(env.SLUICE_KAFKA_BROKERS!, names.sink, 300_000),
    );
    const viaKafkajs = checkOutputs(
      reference,
      await readCommitted(kafka, names.sink, { expected: reference.total, timeoutMs: 300_000 }),
    );
    const store = createAwsStore({ table: names.table, bucket: names.bucket, ...clients });
    const actual = new Map<number, Record<string, unknown>>();
    for (let partition = 0; partition < partitions; partition++) {
      const loaded = await store.load({ fn: names.fn, topic: names.source, partition });
      actual.set(partition, Object.fromEntries(loaded?.state ?? []));
    }
    const state = checkState(reference, actual);
    const { examples, ...outputs } = viaKcat;
    const { examples: _ignored, ...kafkajsOutputs } = viaKafkajs;
    return {
      ok:
        outputsOk(viaKcat) && outputsOk(viaKafkajs) && state.mismatches === 0 && consumed && killed >= kills,
      seed: options.seed,
      records,
      partitions,
      runs,
      kills: killed,
      consumed,
      outputs,
      kafkajsOutputs,
      stateMismatches: state.mismatches,
      examples: [...examples, ...state.examples],
      seconds: Math.round((Date.now() - started) / 100) / 10,
      names,
    };
  } finally {
    await child?.kill('SIGKILL');
    if (!options.keep)
      await cleanup(kafka, clients, names).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    await admin.disconnect();
    await kafka.close();
    clients.dynamodb.destroy();
    clients.s3.destroy();
  }
}

/**
 * Endpoints from the environment when set, else the local stack (started when down). Written to
 * process.env too: the AWS SDK reads endpoints and credentials from there itself.
 */
async function stackEnv(log: (line: string) => void): Promise<NodeJS.ProcessEnv> {
  const env = process.env;
  const own = stackEndpoints(env);
  const missing = (Object.keys(own) as Array<keyof typeof own>).filter((name) => !env[name]);
  if (missing.length > 0) {
    await stackUp({ log });
    for (const name of missing) env[name] = own[name];
  }
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.AWS_REGION ??= 'us-east-1';
  return { ...env };
}

async function produce(kafka: KafkaClient, topic: string, input: Sentence[]): Promise<void> {
  const producer = kafka.producer();
  try {
    for (let i = 0; i < input.length; i += PRODUCE_CHUNK) {
      const messages = input
        .slice(i, i + PRODUCE_CHUNK)
        .map((s) => ({ key: null, value: s.value, partition: s.partition }));
      await producer.send([{ topic, messages }]);
    }
  } finally {
    await producer.disconnect();
  }
}

interface RunningChild {
  /** why it ended, or null while it runs */
  ended(): string | null;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after CHILD_STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

/** Spawns emulator-child.ts (node --import tsx: one process, so SIGKILL hits the emulator itself). */
async function startChild(env: NodeJS.ProcessEnv, logFile: string): Promise<RunningChild> {
  const out = createWriteStream(logFile, { flags: 'a' });
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join('test', 'chaos', 'emulator-child.ts')],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let ended: string | null = null;
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => {
      ended = signal ?? `exit code ${code}`;
      resolve(ended);
    });
  });
  proc.stderr!.pipe(out, { end: false });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`emulator child not ready within ${CHILD_READY_TIMEOUT_MS} ms; see ${logFile}`)),
      CHILD_READY_TIMEOUT_MS,
    );
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`emulator child ended before it was ready (${how}); see ${logFile}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      out.write(`${line}\n`);
      if (line.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    await ready;
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  }
  const kill = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
    out.end();
  };
  return {
    ended: () => ended,
    kill,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      out.end();
    },
  };
}

async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  child: RunningChild,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    const ended = child.ended();
    if (ended !== null)
      throw new Error(`the emulator child ended by itself (${ended}) waiting for ${what}; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; see ${logFile}`);
    await sleep(PROGRESS_POLL_MS);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cleanup(
  kafka: KafkaClient,
  clients: ReturnType<typeof createAwsClients>,
  names: ChaosSummary['names'],
): Promise<void> {
  const admin = kafka.admin();
  await admin.deleteTopics([names.source, names.sink]).catch(() => {});
  await admin.disconnect();
  await clients.dynamodb.send(new DeleteTableCommand({ TableName: names.table })).catch(() => {});
  for (;;) {
    const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: names.bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) break;
    await clients.s3.send(new DeleteObjectsCommand({ Bucket: names.bucket, Delete: { Objects: keys } }));
  }
  await clients.s3.send(new DeleteBucketCommand({ Bucket: names.bucket })).catch(() => {});
}
