/**
 * Every Kafka compression codec end to end, with an independent client on both sides: kcat
 * (librdkafka) writes compressed records (`kcat -P -z <codec>`) into a topic the trigger emulator
 * consumes; a Sluice function writes them through a compressed `kafkaSink`; kcat reads the sink
 * back (read_committed), and `sluice produce --compression` writes what kcat reads too. The
 * broker's log segments show each batch really carries the codec (record batch attributes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureKcat } from '../../../infra/local/kcat';
import { stackPaths } from '../../../infra/local/paths';
import { defineFunction, kafkaSink, serde } from '../../../lib';
import { silentLogger } from '../../../lib/core/log';
import { KAFKA_COMPRESSIONS } from '../../../lib/kafka/codecs';
import { createRuntime } from '../../../lib/lambda/runtime';
import { createKafkaPublisher } from '../../../lib/sink/kafka-publisher';
import { createMemoryStore } from '../../../lib/store/memory';
import { createInProcessInvoker } from '../../../tools/trigger/invoker';
import { readWithKcat } from '../../chaos/readers';
import { run } from '../../unit/tools/cli/fake-io';
import { injectedStack } from '../helpers/stack';
import { committed, emulate, testKafka, testTopic, trigger } from '../tools/trigger/helpers';

const CODECS = KAFKA_COMPRESSIONS.filter((c) => c !== 'none');
/** Record batch attributes bits 0-2: https://kafka.apache.org/documentation/#recordbatch */
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const RECORDS = 60;

let brokers: string;
beforeAll(() => {
  brokers = injectedStack().SLUICE_KAFKA_BROKERS;
  ensureKcat({ log: (line) => console.log(line) });
});

/**
 * The codec ids of a partition's data batches, read from the broker's first log segment (control
 * batches, the transaction markers, are never compressed and are left out).
 */
function segmentCodecs(topic: string, partition = 0): number[] {
  const file = join(
    stackPaths(process.env).stackDir,
    'kafka',
    'data',
    `${topic}-${partition}`,
    '00000000000000000000.log',
  );
  if (!existsSync(file)) {
    throw new Error(
      `${file} does not exist: this check reads the log of the project's own local broker ` +
        '(npm run stack:up), not of an external Kafka (SLUICE_KAFKA_BROKERS)',
    );
  }
  const log = readFileSync(file);
  const codecs: number[] = [];
  for (let at = 0; at + 23 <= log.length; ) {
    const length = log.readInt32BE(at + 8);
    if (length <= 0) break;
    const attributes = log.readInt16BE(at + 21);
    if ((attributes & 0x20) === 0) codecs.push(attributes & 0x07);
    at += 12 + length;
  }
  return codecs;
}

function kcatProduce(topic: string, codec: string, lines: string[]): void {
  execFileSync('kcat', ['-P', '-b', brokers, '-t', topic, '-z', codec, '-K', ':', '-p', '0'], {
    input: `${lines.join('\n')}\n`,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

describe('compression: kcat -> emulator -> compressed kafkaSink -> kcat', () => {
  it.each(CODECS)('%s', async (codec) => {
    const kafka = await testKafka();
    const source = await testTopic(kafka, 1, `zin-${codec}`);
    const out = await testTopic(kafka, 1, `zout-${codec}`);
    const lines = Array.from({ length: RECORDS }, (_, i) => `k${i}:${codec} record ${i} `.padEnd(80, 'x'));
    kcatProduce(source, codec, lines);
    expect(new Set(segmentCodecs(source))).toEqual(new Set([CODEC_IDS[codec]]));

    const upper = defineFunction({
      name: `upper-${codec}`,
      source: { topic: source, value: serde.string() },
      sinks: { out: kafkaSink({ topic: out, value: serde.string(), compression: codec }) },
      process(batch, { emit }) {
        for (const r of batch.records) emit.out({ key: r.key, value: r.value.toUpperCase() });
      },
    });
    const publisher = createKafkaPublisher({ kafka, log: silentLogger });
    const emulator = await emulate(kafka, [
      {
        name: `upper-${codec}`,
        invoker: createInProcessInvoker(upper, {
          getRuntime: async () =>
            createRuntime({
              store: createMemoryStore(),
              publishers: { kafka: publisher },
              log: silentLogger,
            }),
        }),
        triggers: [trigger({ topic: source, batchSize: 25 })],
      },
    ]);
    await committed(emulator, [RECORDS]);
    await emulator.stop();
    await publisher.close();

    const read = await readWithKcat(brokers, out);
    expect(read.map((r) => `${r.key}:${r.value}`)).toEqual(
      lines.map((l) => l.replace(/:(.*)$/, (_, v: string) => `:${v.toUpperCase()}`)),
    );
    const sinkCodecs = segmentCodecs(out);
    expect(sinkCodecs.length).toBeGreaterThan(0);
    expect(new Set(sinkCodecs)).toEqual(new Set([CODEC_IDS[codec]]));

    // sluice consume (kafkajs with Sluice's codecs) reads the compressed sink too.
    const consumed = await run(['consume', out, '--from-beginning', '--max-messages', String(RECORDS)], {
      env: { SLUICE_KAFKA_BROKERS: brokers },
    });
    expect(consumed.stdout.split('\n').filter(Boolean)).toHaveLength(RECORDS);
  });
});

describe('sluice produce --compression', () => {
  it.each(CODECS)('%s: kcat reads what it wrote, and the batches carry the codec', async (codec) => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 1, `zprod-${codec}`);
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i} of ${codec}`);
    const produced = await run(['produce', topic, '--compression', codec], {
      env: { SLUICE_KAFKA_BROKERS: brokers },
      stdin: `${lines.join('\n')}\n`,
    });
    expect(produced.stderr).toBe(`produced 30 record(s) to ${topic}\n`);
    expect((await readWithKcat(brokers, topic)).map((r) => r.value)).toEqual(lines);
    expect(new Set(segmentCodecs(topic))).toEqual(new Set([CODEC_IDS[codec]]));
  });

  it('rejects an unknown codec, naming the ones it takes', async () => {
    const { code, stderr } = await run(['produce', 'any', '--compression', 'brotli'], {
      env: { SLUICE_KAFKA_BROKERS: brokers },
      stdin: 'x\n',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--compression "brotli": use one of none, gzip, snappy, lz4, zstd');
  });
});
