/**
 * Helpers to run the trigger emulator (and a bare kafkajs consumer) over a filled topic until a
 * given number of records is delivered, for benchmarks 1 and 6.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createLogger, type Logger, silentLogger } from '../../lib/core/log';
import type { KafkaClient } from '../../lib/kafka/client';
import type { ConsumedRecord } from '../../lib/kafka/consumer';
import type { KafkaHandler } from '../../lib/lambda/handler';
import { createRuntime } from '../../lib/lambda/runtime';
import { createFileStore } from '../../lib/store/file';
import { createMemoryStore } from '../../lib/store/memory';
import type { EmulatorOptions } from '../../tools/trigger/emulator';
import type { Invoker } from '../../tools/trigger/invoker';
import type { TriggerSettings } from '../../tools/trigger/settings';
import { workDir } from './paths';

/** A logger that formats every line (JSON.stringify, as on stdout) and then drops it. */
export function nullSinkLogger(): Logger {
  return createLogger({ level: 'info', write: () => {} });
}

export type StoreKind = 'memory' | 'file';

/**
 * The same function reading another topic (a unique one per benchmark): the handler checks the
 * event's topic against `definition.source.topic`. Invokers only use the definition.
 */
export function retarget(handler: KafkaHandler, topic: string): KafkaHandler {
  const definition = { ...handler.definition, source: { ...handler.definition.source, topic } };
  return Object.assign((event: unknown) => handler(event), { definition }) as KafkaHandler;
}

/**
 * An in-process invoker of a Sluice handler whose runtime logs to a null sink. A file store goes
 * in a fresh folder under `fileRoot` (the caller removes `fileRoot`).
 */
export async function inProcessInvoker(
  handler: KafkaHandler,
  store: StoreKind,
  fileRoot?: string,
): Promise<Invoker> {
  const { createInProcessInvoker } = await import('../../tools/trigger/invoker');
  return createInProcessInvoker(handler, {
    getRuntime: async () =>
      createRuntime({
        store:
          store === 'memory'
            ? createMemoryStore()
            : createFileStore(join(fileRoot ?? workDir('file-store'), randomUUID())),
        log: nullSinkLogger(),
      }),
  });
}

/**
 * The function's deployable esbuild bundle in a child process (the emulator's default `bundle`
 * mode, what `sluice dev` runs), with the given environment. The child writes its log lines
 * to /dev/null (as it would to a terminal, but nothing reads them back).
 */
export async function childInvoker(options: {
  entry: string;
  name: string;
  env: NodeJS.ProcessEnv;
  /** where the bundles go (the caller removes it) */
  dir: string;
}): Promise<Invoker> {
  const { bundleChildRunner, bundleFunction } = await import('../../tools/trigger/bundle');
  const { createChildProcessInvoker } = await import('../../tools/trigger/child-invoker');
  const { dir } = options;
  const runner = await bundleChildRunner(dir);
  const bundle = await bundleFunction({
    entry: options.entry,
    outFile: join(dir, `${options.name}.mjs`),
    format: 'esm',
  });
  return createChildProcessInvoker({
    functionName: options.name,
    bundle,
    runner,
    env: options.env,
    onOutput: 'discard',
  });
}

/**
 * Starts the emulator for one function over `topic` (fresh consumer group) and resolves with the
 * milliseconds until `count` records were delivered; `sample` is called every `sampleMs` while
 * it runs. Stops the emulator before resolving (stop time not counted).
 */
export async function runEmulator(options: {
  kafka: KafkaClient;
  name: string;
  invoker: Invoker;
  settings: TriggerSettings;
  topic: string;
  count: number;
  /** stop after this long even if not all records were delivered (backpressure runs) */
  maxMs?: number;
  sampleMs?: number;
  sample?: () => void;
  log?: Logger;
  /** emulator options passed through (buffer bounds, consumer tuning) */
  emulator?: Pick<EmulatorOptions, 'buffer' | 'consumerTuning'>;
}): Promise<{ ms: number; delivered: number }> {
  const { startEmulator } = await import('../../tools/trigger/emulator');
  // Warnings and errors of the emulator are kept: a failing function ends the run with them.
  const problems: string[] = [];
  const log = options.log ?? {
    ...silentLogger,
    warn: (message: string) => problems.push(message),
    error: (message: string) => problems.push(message),
  };
  const started = performance.now();
  const emulator = await startEmulator({
    functions: [
      {
        name: options.name,
        invoker: options.invoker,
        triggers: [{ ...options.settings, topic: options.topic, consumerGroupId: `bench-${randomUUID()}` }],
        timeoutMs: 60_000,
      },
    ],
    kafka: options.kafka,
    log,
    statsIntervalMs: 0,
    ...options.emulator,
  });
  const delivered = () => emulator.stats().triggers[0]?.delivered ?? 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      options.sample?.();
      const errors = emulator.stats().triggers[0]?.errors ?? 0;
      if (errors > 0) {
        clearInterval(timer);
        reject(
          new Error(
            `the function failed ${errors} time(s) under the emulator: ${problems.slice(0, 3).join(' | ')}`,
          ),
        );
        return;
      }
      const elapsed = performance.now() - started;
      if (delivered() >= options.count || (options.maxMs !== undefined && elapsed >= options.maxMs)) {
        clearInterval(timer);
        resolve();
      }
    }, options.sampleMs ?? 10);
    emulator.done.catch((error: unknown) => {
      clearInterval(timer);
      reject(error);
    });
  }).catch(async (error: unknown) => {
    await emulator.stop().catch(() => {});
    throw error;
  });
  const ms = performance.now() - started;
  const result = { ms, delivered: delivered() };
  await emulator.stop();
  return result;
}

/**
 * The baseline: a bare kafkajs group consumer with an `eachBatch` loop doing `work` per message,
 * resolving offsets and heartbeating as kafkajs's documentation shows (auto-commit on).
 * Resolves with the milliseconds until `count` records were processed.
 */
export async function runBareConsumer(options: {
  kafka: KafkaClient;
  topic: string;
  count: number;
  /** per message */
  work?: (value: Buffer | null, partition: number) => void;
  /** per fetched batch, instead of `work` */
  batchWork?: (messages: ConsumedRecord[], partition: number) => void;
}): Promise<number> {
  const started = performance.now();
  const consumer = options.kafka.consumer({ groupId: `bench-bare-${randomUUID()}` });
  let processed = 0;
  let finish: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async (batch, { resolveOffset, heartbeat }) => {
      if (options.batchWork) {
        options.batchWork(batch.records, batch.partition);
        resolveOffset(batch.lastOffset);
      } else {
        for (const message of batch.records) {
          options.work?.(message.value, batch.partition);
          resolveOffset(message.offset);
        }
      }
      await heartbeat();
      processed += batch.records.length;
      if (processed >= options.count) finish();
    },
  });
  await done;
  const ms = performance.now() - started;
  await consumer.disconnect();
  return ms;
}
