/**
 * Compression codecs: compress and decompress throughput of gzip (kafkajs's built-in, Node's
 * zlib), snappy, lz4 and zstd (lib/kafka/codecs.ts) on the same record batch payload, through
 * kafkajs's codec table, the exact path every producer and consumer of the project takes. Ratios
 * are against gzip, measured side by side (each round runs every codec, rotating the order).
 * Also the size each codec makes of the payload.
 */
import kafkajs from 'kafkajs';
import { registerCompressionCodecs } from '../lib/kafka/codecs';
import { runBench } from './lib/bench';
import { fmtBytes, fmtNum, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { median, ratioOf } from './lib/stats';

type Codec = {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
};
const { CompressionCodecs, CompressionTypes } = kafkajs;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const TYPES = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** JSON records like the walkthrough's outputs: realistic redundancy, not a repeated string. */
function payload(bytes: number): Buffer {
  const words = [
    'kafka',
    'flink',
    'sluice',
    'lambda',
    'stream',
    'exactly',
    'once',
    'state',
    'topic',
    'events',
  ];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify({
      word: words[(i * 7919) % words.length],
      count: (i * 31) % 1000,
      partition: i % 4,
      at: 1_767_225_600_000 + i * 13,
      id: `${(i * 2654435761) >>> 0}`,
    });
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, bytes);
}

runBench(
  { name: 'compression', title: 'Compression codecs: throughput against gzip', script: import.meta.url },
  async (ctx) => {
    registerCompressionCodecs();
    const codecs = Object.fromEntries(
      CODECS.map((name) => [
        name,
        (CompressionCodecs as unknown as Record<number, () => Codec>)[TYPES[name]]!(),
      ]),
    ) as Record<(typeof CODECS)[number], Codec>;
    const batchBytes = ctx.pick({ full: 1024 * 1024, smoke: 64 * 1024 });
    const repeats = ctx.pick({ full: 20, smoke: 3 });
    const rounds = ctx.pick({ full: 7, smoke: 2 });
    const warmup = ctx.pick({ full: 2, smoke: 1 });
    const data = payload(batchBytes);
    const compressed = Object.fromEntries(
      await Promise.all(
        CODECS.map(async (name) => [name, await codecs[name].compress({ buffer: data })] as const),
      ),
    ) as Record<(typeof CODECS)[number], Buffer>;
    for (const name of CODECS) {
      const back = await codecs[name].decompress(compressed[name]);
      if (!back.equals(data)) throw new Error(`${name} did not round-trip the payload`);
    }
    ctx.method(
      `One ${fmtBytes(batchBytes)} record batch payload of JSON records; each measurement compresses (or decompresses) it ${repeats} times through kafkajs's codec table, in this process, and reports MB/s of uncompressed bytes. ${rounds} measured rounds after ${warmup} warm-up, codecs interleaved with rotating order.`,
    );
    ctx.method(
      'gzip = Node zlib (kafkajs built-in); snappy = snappyjs; lz4 = Sluice frame + block encoder, lz4js block decoder; zstd = @hpcc-js/wasm-zstd (WebAssembly) to compress, fzstd to decompress. All pure JS or inlined WebAssembly: no native module.',
    );
    const mbps = (ms: number) => (batchBytes * repeats) / (1024 * 1024) / (ms / 1000);
    const measure = (work: () => Promise<unknown>) => async () => {
      const started = performance.now();
      for (let i = 0; i < repeats; i++) await work();
      return mbps(performance.now() - started);
    };
    const arms = (kind: 'compress' | 'decompress'): Arm[] =>
      CODECS.map((name) => ({
        name,
        run: measure(
          kind === 'compress'
            ? () => codecs[name].compress({ buffer: data })
            : () => codecs[name].decompress(compressed[name]),
        ),
      }));
    const format = (v: number) => `${fmtNum(v)} MB/s`;
    const comp = await interleave({
      arms: arms('compress'),
      warmup,
      rounds,
      log: ctx.log,
      label: 'compress',
      format,
    });
    const decomp = await interleave({
      arms: arms('decompress'),
      warmup,
      rounds,
      log: ctx.log,
      label: 'decompress',
      format,
    });
    const rows = CODECS.map((name) => [
      name,
      fmtBytes(compressed[name].length),
      `${fmtNum((100 * compressed[name].length) / batchBytes)}%`,
      fmtNum(median(comp[name]!)),
      fmtRatio(ratioOf(comp[name]!, comp.gzip!)),
      fmtNum(median(decomp[name]!)),
      fmtRatio(ratioOf(decomp[name]!, decomp.gzip!)),
    ]);
    ctx.table({
      title: `Codecs on a ${fmtBytes(batchBytes)} batch (MB/s of uncompressed bytes; ratio = codec / gzip, same round)`,
      columns: ['codec', 'size', 'of input', 'compress MB/s', 'vs gzip', 'decompress MB/s', 'vs gzip'],
      rows,
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    });
    for (const name of CODECS.filter((n) => n !== 'gzip')) {
      ctx.target({
        label: `${name} decompress vs gzip`,
        op: '>=',
        value: 1,
        ratio: ratioOf(decomp[name]!, decomp.gzip!),
        met: null,
        note: 'information: what reading a topic of this codec costs against the one kafkajs had',
      });
    }
    ctx.raw('batchBytes', batchBytes);
    ctx.raw('compressedBytes', Object.fromEntries(CODECS.map((n) => [n, compressed[n].length])));
    ctx.raw('compressMBps', comp);
    ctx.raw('decompressMBps', decomp);
  },
);
