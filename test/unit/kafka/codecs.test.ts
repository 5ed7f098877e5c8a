import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  BYTE_CODECS,
  lz4Codec,
  parseCompression,
  registerCompressionCodecs,
  snappyCodec,
  zstdCodec,
} from '../../../lib/kafka/codecs';

/** kafkajs's codec table, as registered. */
type KafkajsCodec = {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
};
const kafkajsCodec = (type: number): KafkajsCodec =>
  (kafkajs.CompressionCodecs as unknown as Record<number, () => KafkajsCodec>)[type]!();

const FIXTURES = join(import.meta.dirname, 'fixtures');
/** What the fixtures hold: written by the `lz4` and `zstd` command-line tools (see fixtures/README.md). */
const LINES = Buffer.from(Array.from({ length: 6000 }, (_, i) => `line ${i} word${i % 97}\n`).join(''));

const samples: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  ['12 bytes (no match allowed)', Buffer.from('abcdabcdabcd')],
  ['text', LINES],
  ['random (incompressible)', randomBytes(200_000)],
  ['one repeated byte', Buffer.alloc(300_000, 7)],
  // around the 64 KiB LZ4 block: the end-of-block rules bite when a block is nearly full
  ...[65_535, 65_536, 65_537, 131_072].map((n): [string, Buffer] => [
    `text of ${n} bytes`,
    LINES.subarray(0, n),
  ]),
];

describe.each(Object.entries(BYTE_CODECS))('%s codec', (_name, codec) => {
  it.each(samples)('round-trips %s', async (_label, data) => {
    const compressed = await codec.compress(data);
    expect(codec.decompress(compressed).equals(data)).toBe(true);
  });
});

describe('interoperability with other writers', () => {
  it('lz4: reads a frame of the lz4 tool (linked blocks, block and content checksums, content size)', () => {
    expect(lz4Codec.decompress(readFileSync(join(FIXTURES, 'lines-6000.lz4'))).equals(LINES)).toBe(true);
  });

  it('lz4: writes independent 64 KiB blocks (the broker rejects a "dependent block stream")', async () => {
    const frame = await lz4Codec.compress(LINES);
    expect([...frame.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
  });

  it('lz4: reads two concatenated frames and skips a skippable frame', async () => {
    const a = await lz4Codec.compress(Buffer.from('first '));
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const b = await lz4Codec.compress(Buffer.from('second'));
    expect(lz4Codec.decompress(Buffer.concat([a, skippable, b])).toString()).toBe('first second');
  });

  it('zstd: reads a frame of the zstd tool', () => {
    expect(zstdCodec.decompress(readFileSync(join(FIXTURES, 'lines-6000.zst'))).equals(LINES)).toBe(true);
  });

  it("snappy: reads the Java client's xerial framing (several chunks) and raw snappy", async () => {
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const chunk = async (text: string) => {
      const raw = await snappyCodec.compress(Buffer.from(text));
      const size = Buffer.alloc(4);
      size.writeUInt32BE(raw.length);
      return Buffer.concat([size, raw]);
    };
    const framed = Buffer.concat([header, await chunk('hello '), await chunk('kafka')]);
    expect(snappyCodec.decompress(framed).toString()).toBe('hello kafka');
    expect(snappyCodec.decompress(await snappyCodec.compress(Buffer.from('raw'))).toString()).toBe('raw');
  });
});

describe('corrupt input fails with the codec named', () => {
  it.each([
    ['lz4', Buffer.from('not an lz4 frame at all')],
    ['lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0xff, 0xff, 0x00])],
    ['zstd', Buffer.from('not zstd')],
    [
      'snappy',
      Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 9]),
    ],
  ])('%s', async (name, bytes) => {
    registerCompressionCodecs();
    const type = {
      lz4: kafkajs.CompressionTypes.LZ4,
      zstd: kafkajs.CompressionTypes.ZSTD,
      snappy: kafkajs.CompressionTypes.Snappy,
    }[name]!;
    const codec = kafkajsCodec(type);
    await expect(codec.decompress(bytes)).rejects.toThrow(`cannot decompress a ${name} record batch`);
  });
});

describe('registration', () => {
  it('puts snappy, lz4 and zstd into kafkajs (gzip is built in)', async () => {
    registerCompressionCodecs();
    for (const type of [
      kafkajs.CompressionTypes.Snappy,
      kafkajs.CompressionTypes.LZ4,
      kafkajs.CompressionTypes.ZSTD,
    ]) {
      const codec = kafkajsCodec(type);
      const compressed = await codec.compress({ buffer: LINES });
      expect((await codec.decompress(compressed)).equals(LINES)).toBe(true);
    }
  });

  it('parses a compression setting, or says which values it takes', () => {
    expect(parseCompression('zstd', 'x')).toBe('zstd');
    expect(() => parseCompression('brotli', 'kafkaSink.compression')).toThrow(
      'kafkaSink.compression must be one of none, gzip, snappy, lz4, zstd, got "brotli"',
    );
  });
});
