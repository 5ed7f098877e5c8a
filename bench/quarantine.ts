/**
 * Benchmark, poison records: what `onError: 'quarantine-key'` costs. A keyed running sum (100
 * keys, one output per record) through `coordinator.runBatch` over the memory store, with
 * publishing a no-op, so only the policy differs between arms:
 *
 * - **fail**: no policy (the default), no poison: today's path;
 * - **quarantine**: the policy, no poison: must cost nothing (one map lookup per batch);
 * - **one poison**: the policy, one poison record in the whole run: its batch runs again record
 *   by record, then its key's later records (1 in 100) are parked without running;
 * - **poison per batch**: the policy, one poison record (a key of its own) in every batch: every
 *   batch runs twice, the second time record by record (the worst case).
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FunctionDefinition } from '../lib/checkpoint/definition';
import { TerminalError } from '../lib/core/errors';
import { noFaults } from '../lib/core/faults';
import { silentLogger } from '../lib/core/log';
import { serde } from '../lib/core/serde';
import type { PartitionBatch, RawRecord } from '../lib/event/types';
import { defineFunction } from '../lib/lambda/define';
import { createRuntime } from '../lib/lambda/runtime';
import { kafkaSink } from '../lib/sink/kafka';
import type { Publishers } from '../lib/sink/publisher';
import { state } from '../lib/state/spec';
import { createMemoryStore } from '../lib/store/memory';
import { runBench } from './lib/bench';
import { fmtInt, fmtRatio } from './lib/format';
import { type Arm, interleave, timed } from './lib/interleave';
import { median, ratioOf } from './lib/stats';

const KEYS = 100;

function runningSum(onError: 'fail' | 'quarantine-key'): FunctionDefinition {
  return defineFunction({
    name: `sum-${onError}`,
    source: { topic: 'numbers', key: serde.string(), value: serde.json<number>() },
    state: { sums: state.map<number>() },
    sinks: { out: kafkaSink({ topic: 'sums', value: serde.json<{ key: string; sum: number }>() }) },
    onError,
    ...(onError === 'quarantine-key' && { quarantine: { maxRecords: 1_000_000 } }),
    process(batch, { state, emit }) {
      for (const r of batch.records) {
        if (r.value < 0) throw new TerminalError(`negative value at ${r.offset}`);
        const sum = (state.sums.get(r.key) ?? 0) + r.value;
        state.sums.set(r.key, sum);
        emit.out({ key: r.key, value: { key: r.key, sum } });
      }
    },
  }).definition;
}

const nullPublisher = { async publish() {}, async close() {} };
const publishers: Publishers = { kafka: nullPublisher, log: nullPublisher };

type Poison = 'none' | 'once' | 'per-batch';

function batchesOf(count: number, size: number, poison: Poison): PartitionBatch[] {
  const topic = `bench-${randomUUID()}`;
  const records: RawRecord[] = Array.from({ length: count }, (_, offset) => {
    const batchIndex = Math.floor(offset / size);
    const middle = offset % size === Math.floor(size / 2);
    const bad = (poison === 'once' && batchIndex === 0 && middle) || (poison === 'per-batch' && middle);
    const key = bad && poison === 'per-batch' ? `poison-${batchIndex}` : `k${(offset * 7919) % KEYS}`;
    return {
      topic,
      partition: 0,
      offset,
      timestamp: 1_700_000_000_000 + offset,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(key),
      value: Buffer.from(String(bad ? -1 : (offset % 9) + 1)),
      headers: [],
    };
  });
  const batches: PartitionBatch[] = [];
  for (let i = 0; i < records.length; i += size) {
    batches.push({ topic, partition: 0, records: records.slice(i, i + size) });
  }
  return batches;
}

// A full collection before each timed run, so no arm pays for the garbage of the one before it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function run(definition: FunctionDefinition, batches: PartitionBatch[]): Promise<number> {
  collectGarbage();
  const runtime = createRuntime({
    store: createMemoryStore(),
    publishers,
    log: silentLogger,
    faults: noFaults,
  });
  return timed(async () => {
    for (const batch of batches) await runtime.coordinator.runBatch(definition, batch);
  });
}

runBench(
  { name: 'quarantine', title: "Poison records: onError 'quarantine-key'", script: import.meta.url },
  async (ctx) => {
    const plan = ctx.pick({
      full: [
        { batch: 100, records: 100_000 },
        { batch: 1_000, records: 200_000 },
      ],
      smoke: [
        { batch: 100, records: 1_000 },
        { batch: 1_000, records: 4_000 },
      ],
    });
    // Runs of a fraction of a second moved by tens of percent with GC and the neighbours' load:
    // each arm run is now seconds long, after a full collection.
    const warmup = ctx.pick({ full: 1, smoke: 0 });
    const rounds = ctx.pick({ full: 7, smoke: 1 });
    ctx.method(
      'Below the emulator: `coordinator.runBatch` on pre-built partition batches of a keyed running sum (100 keys, one output per record), memory store, publishing a no-op: only the error policy differs.',
    );
    ctx.method(
      "Arms: **fail** = no policy, no poison (today's path); **quarantine** = `onError: 'quarantine-key'`, no poison; **one poison** = the policy, one poison record in the first batch (that batch runs again record by record; its key's later records, 1 in 100, are parked without running); **per batch** = the policy, one poison record (a key of its own) in every batch (every batch runs twice, the second time record by record).",
    );
    ctx.method(
      `Each round runs every arm once over the same records, rotating which goes first; ${warmup} warm-up round(s) dropped, ${rounds} measured. Ratio = records/s(arm) / records/s(fail), per round; median [min-max].`,
    );
    const fail = runningSum('fail');
    const quarantine = runningSum('quarantine-key');
    const rows: string[][] = [];
    for (const { batch, records: count } of plan) {
      const clean = batchesOf(count, batch, 'none');
      const once = batchesOf(count, batch, 'once');
      const perBatch = batchesOf(count, batch, 'per-batch');
      const rate = (ms: number) => count / (ms / 1000);
      const arms: Arm[] = [
        { name: 'fail', run: async () => rate(await run(fail, clean)) },
        { name: 'quarantine', run: async () => rate(await run(quarantine, clean)) },
        { name: 'one poison', run: async () => rate(await run(quarantine, once)) },
        { name: 'per batch', run: async () => rate(await run(quarantine, perBatch)) },
      ];
      const m = await interleave({
        arms,
        warmup,
        rounds,
        label: `batch ${batch}`,
        log: ctx.log,
        format: (v) => `${fmtInt(v)} rec/s`,
      });
      const noFailure = ratioOf(m.quarantine!, m.fail!);
      const onePoison = ratioOf(m['one poison']!, m.fail!);
      const poisonPerBatch = ratioOf(m['per batch']!, m.fail!);
      rows.push([
        fmtInt(batch),
        fmtInt(count),
        fmtInt(median(m.fail!)),
        fmtRatio(noFailure),
        fmtRatio(onePoison),
        fmtRatio(poisonPerBatch),
      ]);
      ctx.raw(`batch ${batch}`, { records: count, ...m });
      // "Costs nothing when nothing fails": not slower than today's path beyond the noise.
      ctx.target({
        label: `batch ${batch}, no failure: rate(quarantine) / rate(fail)`,
        op: '>=',
        value: 0.9,
        ratio: noFailure,
      });
    }
    ctx.table({
      title:
        'records/s of fail (median of rounds) and each arm against it (median [min-max] of per-round ratios)',
      columns: [
        'batch size',
        'records',
        'fail rec/s',
        'quarantine / fail',
        'one poison / fail',
        'per batch / fail',
      ],
      rows,
    });
  },
);
