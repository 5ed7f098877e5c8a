/**
 * The local emulator of Lambda's Kafka trigger: for each function and each of its Kafka event
 * sources, a consumer group on the real broker feeding one worker per partition, which builds
 * the very event JSON Lambda would send and invokes the function (see partition-worker.ts and
 * delivery.ts for batching and error controls, kafka-source.ts for consumption and backpressure).
 *
 * Each event holds one partition's records. Lambda may put several partitions in one payload;
 * Sluice handlers take both, and one partition per event is what lets each partition keep its
 * own batch in flight, retries and commits, as the ESM does per partition.
 */

import { configFromEnv } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { createLogger, type Logger } from '../../lib/core/log';
import { createKafka, type KafkaClient } from '../../lib/kafka/client';
import { kafkaConfigOf } from '../../lib/kafka/config';
import type { KafkaProducer } from '../../lib/kafka/producer';
import { type Clock, systemClock } from './clock';
import { compileFilterPatterns } from './filter';
import {
  DEFAULT_INSTANCE_SEED,
  type InstancePool,
  type InvokerFactory,
  instancePoolFor,
} from './instance-pool';
import type { Invoker } from './invoker';
import { type DEFAULT_CONSUMER_TUNING, type KafkaSource, startKafkaSource } from './kafka-source';
import { createKafkaOnFailureSink } from './on-failure';
import { createPartitionWorker } from './partition-worker';
import { DEFAULT_BACKOFF, retryPolicyFor } from './retry-policy';
import { DEFAULT_FLUSH_INTERVAL_MS, startScheduledFlush } from './scheduled-flush';
import { createSchemaDecoder } from './schema-decoding';
import { createSemaphore } from './semaphore';
import { DEFAULT_TIMEOUT_S, type TriggerSettings } from './settings';
import { createCounters, createRateMeter, type EmulatorStats, type TriggerStats } from './stats';

export interface EmulatedFunction {
  /** The function's name in serverless.yml (logs, stats). */
  name: string;
  /** Deployed name, for the ARN in failure records (default `name`). */
  lambdaName?: string;
  /**
   * How to call it: one invoker, or a factory called once per warm instance (each must get its
   * own runtime or child process; required for `instances` > 1).
   */
  invoker: Invoker | InvokerFactory;
  /**
   * Warm instances (default 1): each invocation goes to a free one chosen at random (seeded by
   * `EmulatorOptions.seed`), with no partition affinity, as Lambda does.
   */
  instances?: number;
  /**
   * Invocations at once per instance (Lambda Managed Instances; the instance's environment gets
   * AWS_LAMBDA_MAX_CONCURRENCY). Default: 1 when `instances` is given; otherwise unbounded (one
   * process serving every partition at once). With no free slot, an invocation waits for one.
   */
  concurrency?: number;
  /** Its Kafka event sources (see `resolveTriggerSettings`). */
  triggers: TriggerSettings[];
  /** Function timeout (default 6 s, Serverless Framework's default). */
  timeoutMs?: number;
  /** Reserved concurrency: invocations at once across its partitions (default: one per partition). */
  maxConcurrency?: number;
}

export interface EmulatorOptions {
  functions: EmulatedFunction[];
  /** The Kafka client (default: one built from `brokers` / SLUICE_KAFKA_BROKERS, closed on stop). */
  kafka?: KafkaClient;
  brokers?: string[];
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  log?: Logger;
  /** Backoff between retries of a failed batch (default 500 ms doubling to 10 s). */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** For ARNs in failure records and contexts (default AWS_REGION or us-east-1). */
  region?: string;
  /** How often stats() learns the log end offsets (default 1000 ms; 0: only from fetches). */
  statsIntervalMs?: number;
  /** Per-partition buffer bounds (default: one batch — batchSize records, 6 MB). */
  buffer?: { maxRecords?: number; maxBytes?: number };
  consumerTuning?: Partial<typeof DEFAULT_CONSUMER_TUNING>;
  /** Seeds the choice of a warm instance per invocation (default 1; function i uses seed + i). */
  seed?: number;
  /**
   * How often each function is invoked with the flush event, as the serverless plugin's
   * EventBridge schedule does when deployed (default DEFAULT_FLUSH_INTERVAL_MS; 0: never).
   */
  flushIntervalMs?: number;
}

export interface Emulator {
  /** Stops consuming, waits for the batches in flight, commits, closes the invokers. */
  stop(): Promise<void>;
  /** Live numbers (cheap: call it as often as a progress display needs). */
  stats(): EmulatorStats;
  /** Resolves after stop(); rejects (after stopping everything) when a consumer fails for good. */
  readonly done: Promise<void>;
}

interface RunningTrigger {
  fn: EmulatedFunction;
  settings: TriggerSettings;
  source: KafkaSource;
  counters: ReturnType<typeof createCounters>;
  rate: ReturnType<typeof createRateMeter>;
}

/**
 * Starts consuming for every function's triggers; resolves once every consumer group is joined
 * (records produced after that are delivered, whatever the starting position).
 *
 * @example
 * const emulator = await startEmulator({
 *   functions: [{ name: 'word-count', invoker: createInProcessInvoker(wordCount),
 *                 triggers: [resolveTriggerSettings('word-count', { topic: 'test' }, 'word-count')] }],
 * });
 * setInterval(() => console.log(emulator.stats().triggers[0]?.recordsPerSecond), 1000);
 * process.on('SIGINT', () => void emulator.stop());
 * await emulator.done;
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger({ base: { component: 'trigger' } });
  const clock = options.clock ?? systemClock;
  const region = options.region ?? env.AWS_REGION ?? 'us-east-1';
  const backoff = options.retryBackoff ?? DEFAULT_BACKOFF;
  checkFunctions(options.functions);
  const pools = createPools(options.functions, options.seed ?? DEFAULT_INSTANCE_SEED);
  const ownsKafka = options.kafka === undefined;
  const kafka =
    options.kafka ??
    (await createKafka(
      kafkaConfigOf(
        configFromEnv(
          env,
          options.brokers
            ? { SLUICE_KAFKA_BROKERS: { value: options.brokers.join(','), from: 'brokers' } }
            : {},
        ),
      ),
    ));

  let producer: KafkaProducer | null = null;
  const running: RunningTrigger[] = [];
  const startedAt = clock.now();
  let stopping: Promise<void> | null = null;
  let settle: { resolve(): void; reject(error: unknown): void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => {});
  let failure: unknown = null;
  let refresher: NodeJS.Timeout | undefined;

  const flusher = startScheduledFlush({
    functions: options.functions.map((fn) => ({
      name: fn.name,
      invoker: pools.get(fn)!,
      timeoutMs: fn.timeoutMs ?? DEFAULT_TIMEOUT_S * 1000,
    })),
    intervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    log,
  });

  async function stopAll(): Promise<void> {
    clearInterval(refresher);
    await Promise.allSettled(running.map((t) => t.source.stop()));
    await flusher.stop();
    await Promise.allSettled([...pools.values()].map((pool) => pool.close()));
    await producer?.disconnect().catch(() => {});
    if (ownsKafka) await kafka.close();
  }

  function stop(): Promise<void> {
    stopping ??= stopAll().then(
      () => (failure === null ? settle.resolve() : settle.reject(failure)),
      (error: unknown) => settle.reject(error),
    );
    return stopping.then(() => done);
  }

  try {
    for (const fn of options.functions) {
      const concurrency = createSemaphore(fn.maxConcurrency);
      const functionArn = `arn:aws:lambda:${region}:000000000000:function:${fn.lambdaName ?? fn.name}`;
      for (const settings of fn.triggers) {
        const counters = createCounters();
        const rate = createRateMeter();
        const filter = compileFilterPatterns(settings.filterPatterns, `${fn.name}.filterPatterns`);
        const policy = retryPolicyFor(settings, backoff);
        let onFailure = null;
        if (settings.onFailureTopic !== undefined) {
          producer ??= kafka.producer();
          onFailure = createKafkaOnFailureSink(producer, settings.onFailureTopic);
        }
        const envelope = {
          eventSource: settings.eventSource,
          ...(settings.eventSourceArn !== undefined && { eventSourceArn: settings.eventSourceArn }),
          bootstrapServers: [...kafka.brokers],
        };
        const schemaDecoder =
          settings.schemaRegistry &&
          createSchemaDecoder(settings.schemaRegistry, { log, clock, backoffMs: policy.backoffMs });
        if (settings.schemaRegistry && !onFailure) {
          log.warn(
            `${fn.name}: records of ${settings.topic} the schema registry cannot decode are discarded, as Lambda ` +
              'discards them without an on-failure destination: set custom.sluice.functions.' +
              `${fn.name}.onFailureTopic to keep them`,
          );
        }
        const source = await startKafkaSource({
          kafka,
          groupId: settings.consumerGroupId,
          topic: settings.topic,
          startingPosition: settings.startingPosition,
          startingPositionTimestampMs: settings.startingPositionTimestampMs,
          log,
          tuning: options.consumerTuning,
          createWorker: (partition, io) =>
            createPartitionWorker({
              topic: settings.topic,
              partition,
              settings,
              envelope,
              functionArn,
              invoker: pools.get(fn)!,
              timeoutMs: fn.timeoutMs ?? DEFAULT_TIMEOUT_S * 1000,
              filter,
              policy,
              onFailure,
              concurrency,
              clock,
              log,
              counters,
              rate,
              ...(schemaDecoder && { schemaDecoder }),
              ...io,
              maxBufferedRecords: options.buffer?.maxRecords,
              maxBufferedBytes: options.buffer?.maxBytes,
            }),
        });
        running.push({ fn, settings, source, counters, rate });
        source.done.catch((error: unknown) => {
          failure ??= error;
          void stop().catch(() => {});
        });
        log.info(`${fn.name} consumes ${settings.topic} as group ${settings.consumerGroupId}`, {
          batchSize: settings.batchSize,
          windowMs: settings.maximumBatchingWindowMs,
          startingPosition: settings.startingPosition,
        });
      }
    }
  } catch (error) {
    failure ??= error;
    await stop().catch(() => {});
    throw error;
  }

  const statsIntervalMs = options.statsIntervalMs ?? 1_000;
  if (statsIntervalMs > 0) {
    refresher = setInterval(() => {
      for (const t of running) void t.source.refreshWatermarks().catch(() => {});
    }, statsIntervalMs);
    refresher.unref();
  }

  const emulator: Emulator = {
    stop,
    stats() {
      const now = clock.now();
      const memory = process.memoryUsage();
      const triggers: TriggerStats[] = running.map((t) => {
        const partitions = [...t.source.workers().values()]
          .map((w) => w.snapshot())
          .sort((a, b) => a.partition - b.partition);
        return {
          function: t.fn.name,
          topic: t.settings.topic,
          groupId: t.settings.consumerGroupId,
          ...t.counters,
          recordsPerSecond: t.rate.rate(now),
          lag: partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0),
          partitions,
        };
      });
      return {
        uptimeMs: now - startedAt,
        flush: flusher.stats(),
        memory: { rss: memory.rss, heapUsed: memory.heapUsed },
        triggers,
        functionMemory: Object.fromEntries(
          options.functions.map((fn) => {
            const m = pools.get(fn)!.memory();
            return [fn.name, m === null ? null : { rss: m.rss, heapUsed: m.heapUsed }];
          }),
        ),
        instances: Object.fromEntries(options.functions.map((fn) => [fn.name, pools.get(fn)!.instances()])),
      };
    },
    done,
  };
  return emulator;
}

function createPools(functions: EmulatedFunction[], seed: number): Map<EmulatedFunction, InstancePool> {
  const pools = new Map<EmulatedFunction, InstancePool>();
  try {
    functions.forEach((fn, i) => {
      const { instances, concurrency } = fn;
      pools.set(fn, instancePoolFor(fn.name, fn.invoker, { instances, concurrency, seed: seed + i }));
    });
  } catch (error) {
    for (const pool of pools.values()) void pool.close().catch(() => {});
    throw error;
  }
  return pools;
}

function checkFunctions(functions: EmulatedFunction[]): void {
  const groups = new Map<string, string>();
  for (const fn of functions) {
    if (fn.triggers.length === 0) throw new ConfigError(`${fn.name} has no Kafka trigger to emulate`);
    for (const t of fn.triggers) {
      const other = groups.get(t.consumerGroupId);
      if (other !== undefined) {
        throw new ConfigError(
          `consumer group ${t.consumerGroupId} is used by ${other} and ${fn.name}: give each trigger its own consumerGroupId`,
        );
      }
      groups.set(t.consumerGroupId, fn.name);
    }
  }
}
