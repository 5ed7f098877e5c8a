/**
 * Benchmark 2, exactly-once overhead: `word-count` with checkpointing on (the coordinator's
 * protocol: load, skip, process, conditional commit, publish) against the same function with
 * checkpointing off (process() over state kept in memory, no commits), at batch sizes 100, 1000
 * and 10000. Measured below the emulator: `coordinator.runBatch` on pre-built partition batches,
 * the very same records in every arm, so only the protocol differs.
 *
 * Publishing is a no-op in the "on" arms (a null publisher): the cost of Kafka output is
 * benchmark 4's subject. The outputs are still serialised into the outbox and committed.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { handler as wordCount } from '../functions/word-count';
import { runProcess } from '../lib/checkpoint/run-process';
import type { TaskId } from '../lib/core/checkpoint';
import { noFaults } from '../lib/core/faults';
import { silentLogger } from '../lib/core/log';
import type { StateEntries } from '../lib/core/state-types';
import type { PartitionBatch, RawRecord } from '../lib/event/types';
import { createRuntime } from '../lib/lambda/runtime';
import type { Publishers } from '../lib/sink/publisher';
import { createAwsStore } from '../lib/store/aws';
import { createFileStore } from '../lib/store/file';
import type { Store } from '../lib/store/store';
import { type BenchAws, createBenchAws } from './lib/aws';
import { runBench } from './lib/bench';
import { sentences } from './lib/data';
import { fmtInt, fmtRatio } from './lib/format';
import { type Arm, interleave, timed } from './lib/interleave';
import { probeOutboxScaling } from './lib/outbox-probe';
import { workDir } from './lib/paths';
import { ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';

const definition = wordCount.definition;

const nullPublisher = { async publish() {}, async close() {} };
const publishers: Publishers = { kafka: nullPublisher, log: nullPublisher };

function rawRecords(count: number): RawRecord[] {
  return sentences(count, { seed: 11 }).map((value, offset) => ({
    topic: definition.source.topic,
    partition: 0,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: null,
    value: Buffer.from(value, 'utf8'),
    headers: [],
  }));
}

function batchesOf(records: RawRecord[], size: number, topic: string): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  for (let i = 0; i < records.length; i += size) {
    batches.push({ topic, partition: 0, records: records.slice(i, i + size) });
  }
  return batches;
}

/** Checkpointing off: the same decode, process() and output serialisation, state in a Map. */
async function runOff(records: RawRecord[], size: number): Promise<number> {
  const topic = `bench-${randomUUID()}`;
  const task: TaskId = { fn: definition.name, topic, partition: 0 };
  const batches = batchesOf(records, size, topic);
  const state: StateEntries = new Map();
  return timed(async () => {
    for (const batch of batches) {
      const { transaction } = await runProcess(definition, task, batch.records, state, silentLogger);
      transaction.applyTo(state);
    }
  });
}

/** Checkpointing on: the coordinator over a store, as the handler runs it. */
async function runOn(records: RawRecord[], size: number, store: Store): Promise<number> {
  const topic = `bench-${randomUUID()}`;
  const batches = batchesOf(records, size, topic);
  const runtime = createRuntime({ store, publishers, log: silentLogger, faults: noFaults });
  return timed(async () => {
    for (const batch of batches) await runtime.coordinator.runBatch(definition, batch);
  });
}

runBench(
  { name: 'exactly-once-overhead', title: 'Exactly-once overhead (word-count)', script: import.meta.url },
  async (ctx) => {
    const plan = ctx.pick({
      full: [
        { batch: 100, records: 30_000 },
        { batch: 1_000, records: 30_000 },
        { batch: 10_000, records: 100_000 },
      ],
      smoke: [
        { batch: 100, records: 1_000 },
        { batch: 1_000, records: 4_000 },
        { batch: 10_000, records: 20_000 },
      ],
    });
    const warmup = ctx.pick({ full: 1, smoke: 0 });
    const rounds = ctx.pick({ full: 5, smoke: 1 });
    ctx.method(
      'Below the emulator: `coordinator.runBatch(wordCount, batch)` on pre-built partition batches (records of ~100 bytes, ~15 words from a 10k-word skewed vocabulary), a fresh partition task per run.',
    );
    ctx.method(
      'Arms: **off** = `runProcess()` + `applyTo(state)` per batch (same decode, process(), output serialisation; no store, no commit); **file** = file store (`.sluice/bench/`, local disk); **aws** = aws store on DynamoDB Local + moto. Publishing is a no-op in every arm (benchmark 4 measures it).',
    );
    ctx.method(
      `Each round runs every arm once over the same records, rotating which goes first; ${warmup} warm-up round(s) dropped, ${rounds} measured. Ratio = records/s(on) / records/s(off), per round; median [min-max].`,
    );

    // One output per word: the outbox of a batch holds ~15 messages per record.
    const wordsPerRecord =
      sentences(1_000, { seed: 11 }).reduce(
        (n, text) => n + text.toLowerCase().split(/\W+/).filter(Boolean).length,
        0,
      ) / 1_000;
    const scaling = await probeOutboxScaling();
    const budgetMs = ctx.pick({ full: 180_000, smoke: 10_000 });
    ctx.log(`publishOutbox scales as n^${scaling.exponent.toFixed(2)} with the outbox size`);
    // Only worth a note when it costs something: more than a second for a 10k-record batch's outbox.
    if (scaling.exponent > 1.5 && scaling.projectMs(10_000 * wordsPerRecord) > 1_000) {
      ctx.note(
        `publishOutbox (lib/checkpoint/publish.ts) is ~quadratic in the outbox size (measured exponent ${scaling.exponent.toFixed(2)}): ` +
          'it regroups messages with `byKind.set(kind, [...(byKind.get(kind) ?? []), message])`, copying the list for every message. ' +
          'Push into the existing array instead. Cells whose projected time exceeds the budget are skipped.',
      );
    }
    await ensureStack(['dynamodb', 's3'], ctx.log);
    const aws: BenchAws = await createBenchAws();
    const fileRoot = workDir('file-store', randomUUID());
    const rows: string[][] = [];
    try {
      for (const { batch, records: count } of plan) {
        const projectedMs = scaling.projectMs(batch * wordsPerRecord) * Math.ceil(count / batch);
        if (projectedMs > budgetMs) {
          const reason = `not run: projected ${Math.round(projectedMs / 1000)} s per arm run in publishOutbox alone (budget ${budgetMs / 1000} s)`;
          ctx.log(`batch size ${batch}: ${reason}`);
          rows.push([fmtInt(batch), fmtInt(count), '-', '-', '-', 'not run', 'not run']);
          ctx.note(`batch ${batch}: ${reason}`);
          ctx.raw(`batch ${batch}`, { notRun: reason });
          if (batch === 1_000) {
            ctx.target({
              label: 'file store, batch 1000: rate(on) / rate(off)',
              op: '>=',
              value: 0.7,
              ratio: null,
              note: reason,
            });
          }
          continue;
        }
        const records = rawRecords(count);
        const arms: Arm[] = [
          { name: 'off', run: async () => count / ((await runOff(records, batch)) / 1000) },
          {
            name: 'file',
            run: async () => {
              const dir = join(fileRoot, randomUUID());
              try {
                return count / ((await runOn(records, batch, createFileStore(dir))) / 1000);
              } finally {
                await rm(dir, { recursive: true, force: true });
              }
            },
          },
          {
            name: 'aws',
            run: async () => {
              const store = createAwsStore({
                table: aws.table,
                bucket: aws.bucket,
                dynamodb: aws.dynamodb,
                s3: aws.s3,
              });
              return count / ((await runOn(records, batch, store)) / 1000);
            },
          },
        ];
        ctx.log(`batch size ${batch}: ${count} records per arm per round`);
        const measured = await interleave({
          arms,
          warmup,
          rounds,
          label: `batch ${batch}`,
          log: ctx.log,
          format: (v) => `${fmtInt(v)} rec/s`,
        });
        const file = ratioOf(measured.file!, measured.off!);
        const onAws = ratioOf(measured.aws!, measured.off!);
        rows.push([
          fmtInt(batch),
          fmtInt(count),
          fmtInt(median(measured.off!)),
          fmtInt(median(measured.file!)),
          fmtInt(median(measured.aws!)),
          fmtRatio(file),
          fmtRatio(onAws),
        ]);
        ctx.raw(`batch ${batch}`, { records: count, ...measured });
        if (batch === 1_000) {
          ctx.target({
            label: 'file store, batch 1000: rate(on) / rate(off)',
            op: '>=',
            value: 0.7,
            ratio: file,
          });
        }
      }
    } finally {
      await rm(fileRoot, { recursive: true, force: true });
      await aws.cleanup();
    }
    ctx.table({
      title:
        'word-count, records/s (median of rounds) and ratio on/off (median [min-max] of per-round ratios)',
      columns: ['batch size', 'records', 'off rec/s', 'file rec/s', 'aws rec/s', 'file / off', 'aws / off'],
      rows,
    });
  },
);
