/**
 * Benchmark 4, transactional output: Sluice's exactly-once Kafka publisher (one transaction per
 * outbox: produce + sendOffsets of the outbox marker + commit) against plain idempotent,
 * non-transactional produce (acks=all) of the same messages, at 10, 100 and 1000 records per
 * batch (and 10000, for the trend). Both arms are warm (producer connected and initialised in a
 * warm-up round) and prepare messages the same way (`toTopicMessageChunks`).
 *
 * Kafka requests are counted per transaction from kafkajs's instrumentation events: they are the
 * evidence for where a transaction's time goes.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import type { OutboxMessage, TaskId } from '../lib/core/checkpoint';
import { noFaults } from '../lib/core/faults';
import { serde } from '../lib/core/serde';
import type { KafkaClient } from '../lib/kafka/client';
import { createTransactionalProducer } from '../lib/kafka/producer';
import { kafkaSink } from '../lib/sink/kafka';
import { toTopicMessageChunks } from '../lib/sink/kafka-messages';
import type { KafkaPort } from '../lib/sink/kafka-port';
import type { Sink } from '../lib/sink/sink';
import { runBench } from './lib/bench';
import { vocabulary } from './lib/data';
import { fmtInt, fmtNum, fmtRatio } from './lib/format';
import { type Arm, interleave, timed } from './lib/interleave';
import { benchKafka, ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';
import { deleteTopics, uniqueTopic } from './lib/topics';

const OUTPUT_PARTITIONS = 8;
/** kafkajs's default first retry delay: what Sluice's transactional producer used before 3bdf251. */
const KAFKAJS_DEFAULT_RETRY_MS = 300;

/** Word-count outputs: key = word, value = {"word","count"} JSON, as the outbox holds them. */
function outboxMessages(count: number, offset: number): OutboxMessage[] {
  const words = vocabulary(5_000);
  return Array.from({ length: count }, (_, i) => {
    const word = words[(offset + i * 31) % words.length]!;
    return {
      sink: 'counts',
      key: Buffer.from(word).toString('base64'),
      value: Buffer.from(JSON.stringify({ word, count: offset + i })).toString('base64'),
    };
  });
}

/** Kafka requests of a port's producers by API name (kafkajs calls FindCoordinator "GroupCoordinator"). */
type RequestCounts = Map<string, number>;

/**
 * A Kafka port like `kafka`'s whose transactional producers (built by Sluice's own
 * `createTransactionalProducer`, unchanged) report their requests into `counts`; with
 * `initialRetryTime`, their kafkajs retry config gets that first retry delay instead.
 */
function instrumentedPort(kafka: KafkaClient, counts: RequestCounts, initialRetryTime?: number): KafkaPort {
  const kafkajs = kafka.kafkajs;
  const patched = Object.create(kafkajs) as Kafka;
  patched.producer = (config) => {
    const producer = kafkajs.producer(
      initialRetryTime === undefined ? config : { ...config, retry: { ...config?.retry, initialRetryTime } },
    );
    producer.on(producer.events.REQUEST, ({ payload }) => {
      counts.set(payload.apiName, (counts.get(payload.apiName) ?? 0) + 1);
    });
    return producer;
  };
  return {
    admin: () => kafka.admin(),
    transactionalProducer: (options) => createTransactionalProducer(patched, options),
  };
}

/**
 * While `enabled`, kafkajs's `Cluster.findGroupCoordinator` answers from a cache (per cluster,
 * group id and coordinator type) instead of sending a FindCoordinator request each time, as
 * kafkajs's transaction code does before AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and
 * EndTxn. Arms run one at a time, so switching it on for one arm's runs affects only that arm.
 * This measures what caching the coordinator in kafkajs (a patch-package patch) would gain.
 */
function coordinatorCache() {
  const require = createRequire(import.meta.url);
  const Cluster = require('kafkajs/src/cluster') as {
    prototype: {
      findGroupCoordinator(
        this: object,
        args: { groupId: string; coordinatorType?: number },
      ): Promise<unknown>;
    };
  };
  const original = Cluster.prototype.findGroupCoordinator;
  const cache = new WeakMap<object, Map<string, Promise<unknown>>>();
  const state = { enabled: false };
  Cluster.prototype.findGroupCoordinator = function (this: object, args) {
    if (!state.enabled) return original.call(this, args);
    let entries = cache.get(this);
    if (!entries) {
      entries = new Map();
      cache.set(this, entries);
    }
    const key = `${args.coordinatorType ?? 0}:${args.groupId}`;
    let found = entries.get(key);
    if (!found) {
      found = original.call(this, args);
      found.catch(() => entries?.delete(key));
      entries.set(key, found);
    }
    return found;
  };
  return state;
}

runBench(
  { name: 'transactional-output', title: 'Transactional output (Kafka publisher)', script: import.meta.url },
  async (ctx) => {
    const { createKafkaPublisher } = await import('../lib/sink/kafka-publisher').catch((error: unknown) =>
      ctx.notRun(`lib/sink/kafka-publisher.ts does not load: ${String(error)}`),
    );
    const plan = ctx.pick({
      full: [
        { perBatch: 10, batches: 200 },
        { perBatch: 100, batches: 100 },
        { perBatch: 1_000, batches: 40 },
        { perBatch: 10_000, batches: 6 },
      ],
      smoke: [
        { perBatch: 10, batches: 10 },
        { perBatch: 100, batches: 5 },
        { perBatch: 1_000, batches: 3 },
        { perBatch: 10_000, batches: 1 },
      ],
    });
    const warmup = 1;
    const rounds = ctx.pick({ full: 5, smoke: 1 });
    ctx.method(
      `Output topic with ${OUTPUT_PARTITIONS} partitions; messages are word-count outputs (key = word, value = {"word","count"} JSON, ~40 bytes), keys spread over the partitions by murmur2.`,
    );
    ctx.method(
      '**txn** = `createKafkaPublisher().publish()` of an outbox per batch, as the code is (warm: producer initialised, marker known): AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn. **idem** = an idempotent producer (`kafka.producer({ idempotent: true })`, acks=all) sending the same chunks, no transaction.',
    );
    ctx.method(
      `**txn-300ms** = the same publisher with kafkajs's default first retry delay (${KAFKAJS_DEFAULT_RETRY_MS} ms), i.e. the transactional producer as it was before commit 3bdf251 (now 20 ms): the retry that follows a CONCURRENT_TRANSACTIONS answer to AddPartitionsToTxn.`,
    );
    ctx.method(
      "**txn-cached** = the same publisher while kafkajs's `Cluster.findGroupCoordinator` answers from a cache (kafkajs sends a FindCoordinator request before each transactional request; a patch-package patch could cache it): what that kafkajs change would gain.",
    );
    ctx.method(
      `Per round each arm publishes the same number of batches (one await per batch, as one partition task does); ${warmup} warm-up round, ${rounds} measured, interleaved. Ratio = records/s(txn) / records/s(idem). Requests per transaction come from kafkajs's REQUEST instrumentation events (FindCoordinator is "GroupCoordinator" in kafkajs).`,
    );
    await ensureStack(['kafka'], ctx.log);
    const kafka: KafkaClient = await benchKafka();
    const source = uniqueTopic('txn-source');
    const target = uniqueTopic('txn-out');
    const admin = kafka.admin();
    await admin.createTopic(source, { partitions: 1 });
    await admin.createTopic(target, { partitions: OUTPUT_PARTITIONS });
    const sinks: Record<string, Sink> = { counts: kafkaSink({ topic: target, value: serde.json() }) as Sink };
    const cached = coordinatorCache();
    const txnArms = ['txn', 'txn-300ms', 'txn-cached'] as const;
    type TxnArm = (typeof txnArms)[number];
    const counts: Record<TxnArm, RequestCounts> = {
      txn: new Map(),
      'txn-300ms': new Map(),
      'txn-cached': new Map(),
    };
    const publishers = {
      txn: createKafkaPublisher({ kafka: instrumentedPort(kafka, counts.txn) }),
      'txn-300ms': createKafkaPublisher({
        kafka: instrumentedPort(kafka, counts['txn-300ms'], KAFKAJS_DEFAULT_RETRY_MS),
      }),
      'txn-cached': createKafkaPublisher({ kafka: instrumentedPort(kafka, counts['txn-cached']) }),
    };
    const fn = `bench-${randomUUID().slice(0, 8)}`;
    const tasks: Record<TxnArm, TaskId> = {
      txn: { fn, topic: source, partition: 0 },
      'txn-300ms': { fn: `${fn}-300`, topic: source, partition: 0 },
      'txn-cached': { fn: `${fn}-cached`, topic: source, partition: 0 },
    };
    const endOffsets: Record<TxnArm, number> = { txn: 0, 'txn-300ms': 0, 'txn-cached': 0 };
    const producer = kafka.producer({ idempotent: true });
    const rows: string[][] = [];
    try {
      for (const { perBatch, batches } of plan) {
        const prepared = Array.from({ length: batches }, (_, b) => outboxMessages(perBatch, b * perBatch));
        const records = perBatch * batches;
        const txnArm = (name: TxnArm): Arm => ({
          name,
          run: async () => {
            cached.enabled = name === 'txn-cached';
            const ms = await timed(async () => {
              for (const messages of prepared) {
                const firstOffset = endOffsets[name] + 1;
                endOffsets[name] += perBatch;
                await publishers[name].publish({
                  namespace: 'bench',
                  task: tasks[name],
                  outbox: { firstOffset, endOffset: endOffsets[name], messages },
                  messages,
                  sinks,
                  faults: noFaults,
                });
              }
            });
            cached.enabled = false;
            return records / (ms / 1000);
          },
        });
        const arms: Arm[] = [
          txnArm('txn'),
          txnArm('txn-300ms'),
          txnArm('txn-cached'),
          {
            name: 'idem',
            run: async () => {
              const ms = await timed(async () => {
                for (const messages of prepared) {
                  for (const chunk of toTopicMessageChunks(messages, sinks, new Map()))
                    await producer.send(chunk);
                }
              });
              return records / (ms / 1000);
            },
          },
        ];
        const before = Object.fromEntries(txnArms.map((arm) => [arm, new Map(counts[arm])])) as Record<
          TxnArm,
          RequestCounts
        >;
        const measured = await interleave({
          arms,
          warmup,
          rounds,
          label: `${perBatch}/batch`,
          log: ctx.log,
          format: (v) => `${fmtInt(v)} rec/s`,
        });
        // Requests per transaction (EndTxn: one per transaction) during this batch size's runs.
        const perTxn = (arm: TxnArm, api?: string) => {
          const delta = (name: string) => (counts[arm].get(name) ?? 0) - (before[arm].get(name) ?? 0);
          const all = [...counts[arm].keys()].reduce((n, name) => n + delta(name), 0);
          return (api === undefined ? all : delta(api)) / Math.max(1, delta('EndTxn'));
        };
        const ratio = ratioOf(measured.txn!, measured.idem!);
        const slowRatio = ratioOf(measured['txn-300ms']!, measured.idem!);
        const cachedRatio = ratioOf(measured['txn-cached']!, measured.idem!);
        rows.push([
          fmtInt(perBatch),
          fmtInt(median(measured.idem!)),
          fmtInt(median(measured.txn!)),
          ((perBatch / median(measured.idem!)) * 1000).toFixed(1),
          ((perBatch / median(measured.txn!)) * 1000).toFixed(1),
          fmtRatio(ratio),
          fmtNum(perTxn('txn'), 1),
          fmtNum(perTxn('txn', 'GroupCoordinator'), 1),
          fmtNum(perTxn('txn', 'AddPartitionsToTxn'), 2),
          fmtRatio(slowRatio),
          fmtNum(perTxn('txn-300ms', 'AddPartitionsToTxn'), 2),
          fmtRatio(cachedRatio),
          fmtNum(perTxn('txn-cached'), 1),
          fmtNum(perTxn('txn-cached', 'AddPartitionsToTxn'), 2),
        ]);
        ctx.raw(`${perBatch} per batch`, {
          batches,
          ...measured,
          requestsPerTxn: Object.fromEntries(
            txnArms.map((arm) => [
              arm,
              Object.fromEntries([...counts[arm].keys()].map((api) => [api, perTxn(arm, api)])),
            ]),
          ),
        });
        if (perBatch === 1_000) {
          ctx.target({
            label: '1000 records per batch: rate(txn) / rate(idem)',
            op: '>=',
            value: 0.7,
            ratio,
          });
        }
      }
      ctx.raw('publisher stats', {
        txn: publishers.txn.stats(),
        'txn-300ms': publishers['txn-300ms'].stats(),
      });
    } finally {
      await Promise.allSettled(Object.values(publishers).map((p) => p.close()));
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      await deleteTopics(kafka, [source, target]);
      await kafka.close();
    }
    ctx.table({
      title:
        'records/s and ms per batch (medians of rounds); ratio = median [min-max] of per-round ratios; requests per transaction',
      columns: [
        'records/batch',
        'idem rec/s',
        'txn rec/s',
        'idem ms/batch',
        'txn ms/batch',
        'txn / idem',
        'txn requests/txn',
        'FindCoordinator/txn',
        'AddPartitionsToTxn/txn',
        'txn-300ms / idem',
        'txn-300ms AddPartitionsToTxn/txn',
        'txn-cached / idem',
        'txn-cached requests/txn',
        'txn-cached AddPartitionsToTxn/txn',
      ],
      rows,
    });
  },
);
