/**
 * Benchmark 1, throughput: the trigger emulator running the stateless `prefix` function against
 * a bare kafkajs `eachBatch` loop doing the same work (format "Sluice says: <value>" as one JSON
 * log line per record) on the same topic: 1M records of ~100 bytes over 8 partitions.
 *
 * Logs go to a null sink in every arm (the line is formatted, then dropped): this measures
 * processing, not terminal I/O. The emulator uses prefix's trigger settings from serverless.yml
 * (batchSize 100, window 1 s); a second emulator arm at batchSize 10000 (Lambda's maximum) shows
 * how much of the gap is per-invocation cost.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeEvent } from '../lib/event/decode';
import type { KafkaClient } from '../lib/kafka/client';
import type { KafkaHandler } from '../lib/lambda/handler';
import { runBench } from './lib/bench';
import {
  childInvoker,
  inProcessInvoker,
  nullSinkLogger,
  retarget,
  runBareConsumer,
  runEmulator,
} from './lib/emulator-run';
import { fmtInt, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { REPO_ROOT, workDir } from './lib/paths';
import { benchKafka, ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';
import { deleteTopics, fillTopic, uniqueTopic } from './lib/topics';

const PARTITIONS = 8;

runBench(
  { name: 'throughput', title: 'Throughput: emulator + prefix vs bare kafkajs', script: import.meta.url },
  async (ctx) => {
    const prefix = (await import('../functions/prefix').catch(() =>
      ctx.notRun('functions/prefix.ts is missing'),
    )) as { handler: KafkaHandler };
    await import('../tools/trigger/emulator').catch(() =>
      ctx.notRun('tools/trigger/emulator.ts (startEmulator) is missing'),
    );
    const { loadServerlessConfig } = await import('../tools/trigger/serverless-config');
    const { resolveTriggerSettings } = await import('../tools/trigger/settings');
    const { fromConsumedRecord } = await import('../tools/trigger/kafka-record');
    const { encodeEventJson } = await import('../tools/trigger/payload-size');

    const count = ctx.pick({ full: 1_000_000, smoke: 20_000 });
    const warmup = ctx.pick({ full: 1, smoke: 0 });
    const rounds = ctx.pick({ full: 3, smoke: 1 });
    const config = await loadServerlessConfig(join(REPO_ROOT, 'serverless.yml'), { env: {} });
    const declared = config.functions.find((f) => f.name === 'prefix')?.triggers[0];
    if (!declared) return ctx.notRun('serverless.yml declares no Kafka trigger for prefix');
    const settings = resolveTriggerSettings(
      'prefix',
      {
        topic: declared.topic,
        batchSize: declared.batchSize,
        maximumBatchingWindow: declared.maximumBatchingWindowMs / 1000,
        startingPosition: 'TRIM_HORIZON',
      },
      'bench',
    );
    const big = { ...settings, batchSize: 10_000 };

    ctx.method(
      `${fmtInt(count)} records of ~100 bytes on a fresh topic with ${PARTITIONS} partitions, read from the beginning by a fresh consumer group per run; a run ends when every record was processed (group join included, stop excluded).`,
    );
    ctx.method(
      '**bare** = kafkajs consumer (Sluice\'s `kafka.consumer()`, read_committed) with an `eachBatch` loop: per message `log.info("Sluice says: " + value, {fn, sink, partition})`, `resolveOffset`, then `heartbeat`; auto-commit.',
    );
    ctx.method(
      `**emu** = \`startEmulator\` with \`functions/prefix.ts\` in-process (\`createInProcessInvoker\`, memory store), serverless.yml's trigger settings (batchSize ${settings.batchSize}, window ${settings.maximumBatchingWindowMs} ms); **emu-file** = same with the file store (\`sluice dev\`'s default store); **emu-10k** = memory store, batchSize 10000; **emu-child** = the emulator's child-process mode (the function's esbuild bundle in a forked Node.js, as \`sluice dev\` runs it; memory store; it writes its log lines to /dev/null). **bare+event** = the bare loop plus, per ${settings.batchSize} records, the Lambda event JSON round trip (\`encodeEventJson\`, \`JSON.parse\`, \`decodeEvent\`): the cost of the event format alone. Every arm's logger formats the JSON line and drops it.`,
    );
    ctx.method(
      `Rounds interleave the arms (rotating order); ${warmup} warm-up round(s) dropped, ${rounds} measured. Ratio = records/s(emulator arm) / records/s(bare), per round.`,
    );

    await ensureStack(['kafka'], ctx.log);
    const kafka: KafkaClient = await benchKafka();
    const topic = uniqueTopic('throughput');
    const fileRoot = workDir('file-store', `throughput-${randomUUID()}`);
    try {
      ctx.log(`filling ${topic} with ${fmtInt(count)} records`);
      const filled = await fillTopic(kafka, { topic, partitions: PARTITIONS, count });
      ctx.log(`  produced at ${fmtInt(filled.recordsPerSecond)} records/s`);
      ctx.raw('produce records/s', filled.recordsPerSecond);
      const bareLog = nullSinkLogger();
      const emulatorArm =
        (store: 'memory' | 'file', chosen: typeof settings): Arm['run'] =>
        async () => {
          const invoker = await inProcessInvoker(retarget(prefix.handler, topic), store, fileRoot);
          try {
            const { ms } = await runEmulator({
              kafka,
              name: 'prefix',
              invoker,
              settings: chosen,
              topic,
              count,
            });
            return count / (ms / 1000);
          } finally {
            await invoker.close();
          }
        };
      const work = (value: Buffer | null, partition: number) =>
        bareLog.info(`Sluice says: ${value?.toString('utf8')}`, { fn: 'prefix', sink: 'out', partition });
      const envelope = { eventSource: 'SelfManagedKafka' as const, bootstrapServers: [...kafka.brokers] };
      const arms: Arm[] = [
        {
          name: 'bare+event',
          run: async () => {
            const ms = await runBareConsumer({
              kafka,
              topic,
              count,
              // The Lambda event round trip alone: what the emulator must do per batch (the AWS
              // poller's encoding and the runtime's parsing), without Sluice's protocol.
              batchWork: (messages, partition) => {
                for (let i = 0; i < messages.length; i += settings.batchSize) {
                  const records = messages
                    .slice(i, i + settings.batchSize)
                    .map((message) => fromConsumedRecord(topic, partition, message));
                  const event = decodeEvent(JSON.parse(encodeEventJson(envelope, records)));
                  for (const batch of event.batches)
                    for (const record of batch.records) work(record.value, batch.partition);
                }
              },
            });
            return count / (ms / 1000);
          },
        },
        {
          name: 'emu-child',
          run: async () => {
            const invoker = await childInvoker({
              entry: join(REPO_ROOT, 'bench', 'fixtures', 'prefix-on-topic.ts'),
              name: 'prefix',
              env: { ...process.env, BENCH_TOPIC: topic, SLUICE_STORE: 'memory', SLUICE_LOG_LEVEL: 'info' },
              dir: join(fileRoot, 'bundles'),
            });
            try {
              const { ms } = await runEmulator({ kafka, name: 'prefix', invoker, settings, topic, count });
              return count / (ms / 1000);
            } finally {
              await invoker.close();
            }
          },
        },
        {
          name: 'bare',
          run: async () => {
            const ms = await runBareConsumer({ kafka, topic, count, work });
            return count / (ms / 1000);
          },
        },
        { name: 'emu', run: emulatorArm('memory', settings) },
        { name: 'emu-file', run: emulatorArm('file', settings) },
        { name: 'emu-10k', run: emulatorArm('memory', big) },
      ];
      // bare first: the baseline every ratio divides by.
      arms.unshift(
        ...arms.splice(
          arms.findIndex((a) => a.name === 'bare'),
          1,
        ),
      );
      const measured = await interleave({
        arms,
        warmup,
        rounds,
        log: ctx.log,
        format: (v) => `${fmtInt(v)} rec/s`,
      });
      // Every emulator arm is held to the 0.8; bare+event is a reference without a verdict.
      const targets: Record<string, { label: string; met?: null; note?: string }> = {
        emu: { label: `emulator (batchSize ${settings.batchSize}, memory store) / bare` },
        'emu-file': { label: `emulator (batchSize ${settings.batchSize}, file store) / bare` },
        'emu-child': { label: `emulator, child-process mode (sluice dev's default; memory store) / bare` },
        'bare+event': {
          label: '(reference, no target) bare + Lambda event JSON round trip / bare',
          met: null,
          note: 'the share of the gap that is the Lambda event format itself',
        },
        'emu-10k': { label: '[alternative] emulator (batchSize 10000, memory store) / bare' },
      };
      const rows: string[][] = [];
      for (const arm of arms) {
        const ratio = arm.name === 'bare' ? null : ratioOf(measured[arm.name]!, measured.bare!);
        rows.push([arm.name, fmtInt(median(measured[arm.name]!)), ratio ? fmtRatio(ratio) : '1.00']);
        const target = targets[arm.name];
        if (target) ctx.target({ op: '>=', value: 0.8, ratio, ...target });
      }
      ctx.raw('records/s per round', measured);
      ctx.table({
        title: `${fmtInt(count)} records, ${PARTITIONS} partitions: records/s (median of rounds) and ratio to bare (median [min-max])`,
        columns: ['arm', 'records/s', 'ratio to bare'],
        rows,
      });
    } finally {
      await rm(fileRoot, { recursive: true, force: true }).catch(() => {});
      await deleteTopics(kafka, [topic]);
      await kafka.close();
    }
  },
);
