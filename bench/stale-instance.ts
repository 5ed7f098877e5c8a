/**
 * Benchmark 7, stale warm instances: Lambda hands a partition's batches to any warm instance, so
 * an instance's warm checkpoint can be one (or many) commits old. The commit's conflict says so
 * and the coordinator re-runs the batch on the current checkpoint. This measures what that
 * costs, on the aws store (DynamoDB Local + moto), side by side with one warm instance taking
 * every batch: store requests and bytes counted per batch, and the rate ratio.
 */
import { randomUUID } from 'node:crypto';
import { handler as wordCount } from '../functions/word-count';
import { noFaults } from '../lib/core/faults';
import { silentLogger } from '../lib/core/log';
import type { PartitionBatch } from '../lib/event/types';
import { createRuntime } from '../lib/lambda/runtime';
import type { Publishers } from '../lib/sink/publisher';
import { type AwsStoreStats, createAwsStore } from '../lib/store/aws';
import { type BenchAws, createBenchAws } from './lib/aws';
import { runBench } from './lib/bench';
import { sentences } from './lib/data';
import { fmtInt, fmtRatio } from './lib/format';
import { interleave, timed } from './lib/interleave';
import { ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';

const definition = wordCount.definition;
const nullPublisher = { async publish() {}, async close() {} };
const publishers: Publishers = { kafka: nullPublisher, log: nullPublisher };

function batches(count: number, size: number, topic: string): PartitionBatch[] {
  const values = sentences(count, { seed: 7 });
  const out: PartitionBatch[] = [];
  for (let i = 0; i < count; i += size) {
    out.push({
      topic,
      partition: 0,
      records: values.slice(i, i + size).map((value, j) => ({
        topic,
        partition: 0,
        offset: i + j,
        timestamp: 1_700_000_000_000 + i + j,
        timestampType: 'CREATE_TIME' as const,
        key: null,
        value: Buffer.from(value, 'utf8'),
        headers: [],
      })),
    });
  }
  return out;
}

interface Run {
  ms: number;
  store: AwsStoreStats;
  reruns: number;
}

/** `instances` runtimes over one store, batch i going to instance i mod n: every hand-over stale. */
async function run(aws: BenchAws, work: PartitionBatch[], instances: number): Promise<Run> {
  const runtimes = Array.from({ length: instances }, () =>
    // One store object per instance: each has its own warm cache, as separate Lambda instances.
    createRuntime({
      store: createAwsStore({ table: aws.table, bucket: aws.bucket, dynamodb: aws.dynamodb, s3: aws.s3 }),
      publishers,
      log: silentLogger,
      faults: noFaults,
    }),
  );
  const ms = await timed(async () => {
    for (const [i, batch] of work.entries())
      await runtimes[i % instances]!.coordinator.runBatch(definition, batch);
  });
  const totals = runtimes.map((r) => (r.store as ReturnType<typeof createAwsStore>).stats());
  const store = Object.fromEntries(
    Object.keys(totals[0]!).map((key) => [
      key,
      totals.reduce((n, t) => n + t[key as keyof AwsStoreStats], 0),
    ]),
  ) as unknown as AwsStoreStats;
  return { ms, store, reruns: runtimes.reduce((n, r) => n + r.coordinator.reruns, 0) };
}

runBench(
  { name: 'stale-instance', title: 'Stale warm instances: the conflict re-run', script: import.meta.url },
  async (ctx) => {
    const size = 100;
    const count = ctx.pick({ full: 20_000, smoke: 1_000 });
    const rounds = ctx.pick({ full: 5, smoke: 1 });
    ctx.method(
      `word-count on the aws store (DynamoDB Local + moto), batches of ${size} records of one partition, ${count} records per arm run. Arms: **warm** = one instance takes every batch (today's best case: no read per batch); **stale** = two instances alternate, so every batch after the first meets a checkpoint its instance did not write: the commit conflicts, the batch is re-run on the current checkpoint.`,
    );
    ctx.method(
      'Store requests are counted by the store itself (AwsStore.stats), per batch. Rates: median of interleaved rounds; ratio = stale / warm per round.',
    );
    await ensureStack(['dynamodb', 's3'], ctx.log);
    const aws = await createBenchAws();
    const last: Record<string, Run> = {};
    try {
      const measured = await interleave({
        arms: ['warm', 'stale'].map((name) => ({
          name,
          run: async () => {
            const result = await run(
              aws,
              batches(count, size, `bench-${randomUUID()}`),
              name === 'warm' ? 1 : 2,
            );
            last[name] = result;
            return count / (result.ms / 1000);
          },
        })),
        warmup: 0,
        rounds,
        label: 'stale instance',
        log: ctx.log,
        format: (v) => `${fmtInt(v)} rec/s`,
      });
      const perBatch = (r: Run, key: keyof AwsStoreStats) => r.store[key] / (count / size);
      const warm = last.warm!;
      const stale = last.stale!;
      const reruns = stale.reruns;
      // Beyond a warm batch: the second instance's one cold load is not a re-run's cost.
      const coldLoads: Partial<Record<keyof AwsStoreStats, number>> = { reads: 1 };
      const extra = (key: keyof AwsStoreStats) =>
        (stale.store[key] - warm.store[key] - (coldLoads[key] ?? 0)) / Math.max(1, reruns);
      ctx.table({
        title: `per batch of ${size} (counted), and the rate (median of rounds)`,
        columns: ['arm', 'rec/s', 'reads', 'writes', 'S3 GETs', 'S3 PUTs', 'bytes sent', 're-runs'],
        rows: [warm, stale].map((r, i) => [
          i === 0 ? 'warm' : 'stale',
          fmtInt(median(measured[i === 0 ? 'warm' : 'stale']!)),
          perBatch(r, 'reads').toFixed(2),
          perBatch(r, 'writes').toFixed(2),
          perBatch(r, 'objectGets').toFixed(2),
          perBatch(r, 'objectPuts').toFixed(2),
          fmtInt(perBatch(r, 'bytes')),
          fmtInt(r.reruns),
        ]),
      });
      ctx.note(
        `a re-run costs ${extra('reads').toFixed(2)} DynamoDB reads, ${extra('writes').toFixed(2)} writes and ` +
          `${extra('objectGets').toFixed(2)} S3 GETs more than a warm batch: the reload (one GetItem, and the spilled ` +
          "state's objects) and the refused conditional write; when the stale commit's delta merge finds its objects " +
          'already deleted, one GetItem tells it instead of the write',
      );
      ctx.raw('runs', { warm, stale, measured });
      const requests = extra('reads') + extra('writes');
      ctx.target({
        label: 'extra DynamoDB requests per re-run: the reload + the refused write (or a second read)',
        op: '<=',
        value: 2,
        ratio: { median: requests, min: requests, max: requests, rounds: [requests] },
      });
      const ratio = ratioOf(measured.stale!, measured.warm!);
      ctx.note(`rate stale / warm: ${fmtRatio(ratio)} (every batch a stale hand-over: the worst case)`);
    } finally {
      await aws.cleanup();
    }
  },
);
