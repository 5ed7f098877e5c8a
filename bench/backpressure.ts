/**
 * Benchmark 6, backpressure: peak RSS of the emulator process while a function 100× slower
 * than the input rate works through a backlog of 100k and of 1M records. Bounded buffering
 * means the peak does not depend on the backlog. A naive trigger (kafkajs eachBatch queueing
 * every fetched batch for the function) is measured the same way, as the reference that shows
 * what unbounded looks like.
 *
 * Each measurement runs in a fresh process (bench/fixtures/backpressure-child.ts), for the same
 * fixed time; sizes alternate between rounds.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runBench } from './lib/bench';
import { fmtBytes, fmtInt, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { REPO_ROOT } from './lib/paths';
import { benchKafka, ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';
import { deleteTopics, fillTopic, uniqueTopic } from './lib/topics';

const run = promisify(execFile);
const PARTITIONS = 8;
const SLOWDOWN = 100;

interface ChildResult {
  peakRss: number;
  peakHeap: number;
  startRss: number;
  delivered: number;
}

runBench(
  {
    name: 'backpressure',
    title: 'Backpressure: emulator memory under a slow function',
    script: import.meta.url,
  },
  async (ctx) => {
    await import('../tools/trigger/emulator').catch(() =>
      ctx.notRun('tools/trigger/emulator.ts (startEmulator) is missing'),
    );
    const sizes = ctx.pick({ full: [100_000, 1_000_000], smoke: [5_000, 50_000] });
    const durationMs = ctx.pick({ full: 20_000, smoke: 4_000 });
    const rounds = ctx.pick({ full: 3, smoke: 1 });
    await ensureStack(['kafka'], ctx.log);
    const kafka = await benchKafka();
    const topics: string[] = [];
    try {
      let inputRate = 0;
      for (const size of sizes) {
        const topic = uniqueTopic(`backpressure-${size}`);
        topics.push(topic);
        ctx.log(`filling ${topic} with ${fmtInt(size)} records`);
        const filled = await fillTopic(kafka, { topic, partitions: PARTITIONS, count: size });
        inputRate = Math.max(inputRate, filled.recordsPerSecond);
      }
      // The input rate is what the producer sustained; the function handles 1/100th of it in all:
      // partitions are invoked in parallel, so each partition's invocations get 1/(100 × partitions).
      const perRecordMs = (1000 * SLOWDOWN * PARTITIONS) / inputRate;
      ctx.method(
        `Topics of ${sizes.map(fmtInt).join(' and ')} records (~100 bytes, ${PARTITIONS} partitions), filled at ${fmtInt(inputRate)} records/s (the input rate). The function (a Sluice function, in-process, memory store) sleeps ${perRecordMs.toFixed(3)} ms per record; with the ${PARTITIONS} partitions invoked in parallel that is ${fmtInt(inputRate / SLOWDOWN)} records/s in all, ${SLOWDOWN}× slower than the input.`,
      );
      ctx.method(
        `**emulator** = \`startEmulator\` with Lambda's default trigger settings (batchSize 100, window 500 ms) and default buffer bounds; **naive** = a kafkajs \`eachBatch\` loop that queues each fetched batch for the same slow function and returns at once (no backpressure). Each run is a fresh process sampling its own RSS every 50 ms for ${durationMs / 1000} s; ${rounds} round(s), sizes alternating.`,
      );
      const child = async (topic: string, mode: 'emulator' | 'naive'): Promise<ChildResult> => {
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            'tsx',
            join(REPO_ROOT, 'bench', 'fixtures', 'backpressure-child.ts'),
            topic,
            String(perRecordMs),
            String(durationMs),
            mode,
          ],
          { cwd: REPO_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 16 * 1024 * 1024 },
        );
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
      };
      const details: Record<string, ChildResult[]> = {};
      const arms: Arm[] = [];
      for (const mode of ['emulator', 'naive'] as const) {
        sizes.forEach((size, i) => {
          const name = `${mode} ${fmtInt(size)}`;
          details[name] = [];
          arms.push({
            name,
            run: async () => {
              const result = await child(topics[i]!, mode);
              details[name]!.push(result);
              return result.peakRss;
            },
          });
        });
      }
      const measured = await interleave({ arms, warmup: 0, rounds, log: ctx.log, format: fmtBytes });
      const rows: string[][] = [];
      for (const mode of ['emulator', 'naive'] as const) {
        const small = `${mode} ${fmtInt(sizes[0]!)}`;
        const large = `${mode} ${fmtInt(sizes[1]!)}`;
        const ratio = ratioOf(measured[large]!, measured[small]!);
        for (const name of [small, large]) {
          const runs = details[name]!;
          rows.push([
            name,
            fmtBytes(median(measured[name]!)),
            fmtBytes(median(runs.map((r) => r.peakHeap))),
            fmtBytes(median(runs.map((r) => r.startRss))),
            fmtInt(median(runs.map((r) => r.delivered))),
            name === large ? fmtRatio(ratio) : '1.00',
          ]);
        }
        if (mode === 'emulator') {
          ctx.target({
            label: `emulator peak RSS, ${fmtInt(sizes[1]!)} / ${fmtInt(sizes[0]!)} records (bounded: ≤ 1.10)`,
            op: '<=',
            value: 1.1,
            ratio,
          });
        } else {
          ctx.target({
            label: `(reference, no target) naive trigger peak RSS, ${fmtInt(sizes[1]!)} / ${fmtInt(sizes[0]!)} records`,
            op: '<=',
            value: 1.1,
            ratio,
            met: null,
            note: 'shows that the measurement detects unbounded buffering',
          });
        }
      }
      ctx.raw('peak RSS per round', measured);
      ctx.raw('runs', details);
      ctx.table({
        title: `Peak memory over ${durationMs / 1000} s with a function ${SLOWDOWN}× slower than the input (medians of rounds)`,
        columns: [
          'run',
          'peak RSS',
          'peak heap used',
          'RSS at start',
          'records delivered',
          'peak RSS ratio to smaller backlog',
        ],
        rows,
      });
    } finally {
      await deleteTopics(kafka, topics);
      await kafka.close();
    }
  },
);
