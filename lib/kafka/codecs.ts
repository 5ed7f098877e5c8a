/**
 * Kafka's record batch compression codecs for kafkajs, which decodes only gzip by itself
 * (https://kafka.js.org/docs/producing#compression). Registered once per process by
 * `createKafka`, so every consumer and producer of the project (the emulator, `sluice consume`,
 * the sinks, the test readers) reads and writes all four.
 *
 * Chosen to install from the npm registry with nothing downloaded or compiled at install time,
 * and to bundle with esbuild into one Lambda file (no `.node` or `.wasm` files beside it):
 * - snappy: `snappyjs` (pure JS);
 * - lz4: the LZ4 frame format is read and written here; blocks are decoded by `lz4js` (pure JS)
 *   and encoded here: lz4js's frame writer links blocks (the broker rejects a "dependent block
 *   stream"), its block writer breaks the end-of-block rules, its reader misplaces block checksums;
 * - zstd: `fzstd` (pure JS) decompresses, `@hpcc-js/wasm-zstd` (zstd 1.5.7 as WebAssembly inlined
 *   in the JS) compresses: fzstd cannot compress, and the WASM decompressor is ~8x slower than
 *   fzstd on a 1 MB batch (bench/compression.ts measures all of them).
 *
 * Wire formats: https://kafka.apache.org/documentation/#recordbatch (attributes bits 0-2).
 */
import { decompress as zstdDecompress } from 'fzstd';
import kafkajs from 'kafkajs';
import * as lz4 from 'lz4js';
import * as snappy from 'snappyjs';
import { ConfigError } from '../core/errors';

// A default import: Node's ESM loader does not see these two among kafkajs's CommonJS exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

/** The codecs a Kafka producer may use: Kafka's `compression.type` values (`producer` means "keep" on a broker). */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** Checks a compression name from configuration or a flag, with a message that says what to set. */
export function parseCompression(value: unknown, setting: string): KafkaCompression {
  if (typeof value === 'string' && (KAFKA_COMPRESSIONS as readonly string[]).includes(value)) {
    return value as KafkaCompression;
  }
  throw new ConfigError(
    `${setting} must be one of ${KAFKA_COMPRESSIONS.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

export function toKafkajsCompression(compression: KafkaCompression | undefined): kafkajs.CompressionTypes {
  switch (compression) {
    case undefined:
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}

/** Synchronous byte codecs (kafkajs wants promises; these are wrapped below). */
export interface ByteCodec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Buffer;
}

// ---- snappy -----------------------------------------------------------------------------------

/**
 * The Java client writes snappy in xerial's stream framing (snappy-java `SnappyOutputStream`):
 * an 8-byte magic, two 4-byte versions, then chunks of [4-byte big-endian length][raw snappy].
 * librdkafka and kafkajs write one raw snappy block. Both are read; raw is written, as librdkafka
 * does (snappy-java's reader falls back to raw when the magic is absent).
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

export const snappyCodec: ByteCodec = {
  async compress(data) {
    return Buffer.from(snappy.compress(data));
  },
  decompress(data) {
    if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
      return Buffer.from(snappy.uncompress(data));
    }
    const parts: Buffer[] = [];
    for (let at = XERIAL_HEADER_BYTES; at < data.length; ) {
      if (at + 4 > data.length)
        throw new Error(`snappy (xerial framing): truncated chunk length at byte ${at}`);
      const size = data.readUInt32BE(at);
      at += 4;
      if (at + size > data.length) {
        throw new Error(`snappy (xerial framing): chunk of ${size} bytes at byte ${at} runs past the end`);
      }
      parts.push(Buffer.from(snappy.uncompress(data.subarray(at, at + size))));
      at += size;
    }
    return Buffer.concat(parts);
  },
};

// ---- lz4 --------------------------------------------------------------------------------------

/** LZ4 frame format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md */
const LZ4_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const UNCOMPRESSED_BIT = 0x80000000;

/** 64 KiB blocks, as the Java client and librdkafka write them. */
const LZ4_BLOCK_CODE = 4;
const LZ4_HASH_ENTRIES = 1 << 16;

export const lz4Codec: ByteCodec = {
  async compress(data) {
    return lz4CompressFrame(data);
  },
  decompress(data) {
    const out: Buffer[] = [];
    let at = 0;
    while (at < data.length) at = lz4Frame(data, at, out);
    return Buffer.concat(out);
  },
};

/**
 * One frame of independent blocks (FLG: version 01, B.Indep; BD: 64 KiB), what the Java client
 * writes. No checksums: the record batch CRC32C covers these bytes. The header checksum byte is
 * that of these two descriptor bytes, `(xxh32(0x60 0x40) >> 8) & 0xff`.
 */
const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, LZ4_BLOCK_CODE << 4, 0x82]);

function lz4CompressFrame(data: Buffer): Buffer {
  const blockMax = LZ4_BLOCK_MAX[LZ4_BLOCK_CODE]!;
  const parts: Buffer[] = [LZ4_FRAME_HEADER];
  const table = new Int32Array(LZ4_HASH_ENTRIES);
  const scratch = Buffer.allocUnsafe(blockMax + (blockMax >> 8) + 16);
  for (let at = 0; at < data.length; at += blockMax) {
    const block = data.subarray(at, Math.min(at + blockMax, data.length));
    const size = lz4CompressBlock(block, scratch, table);
    const word = Buffer.alloc(4);
    if (size >= block.length) {
      word.writeUInt32LE((UNCOMPRESSED_BIT | block.length) >>> 0);
      parts.push(word, block);
    } else {
      word.writeUInt32LE(size);
      parts.push(word, Buffer.from(scratch.subarray(0, size)));
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

/** LZ4 block format rules: https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md */
const LZ4_MIN_MATCH = 4;
/** The last 5 bytes of a block are literals. */
const LZ4_LAST_LITERALS = 5;
/** The last match starts at least 12 bytes before the end of the block. */
const LZ4_MFLIMIT = 12;
const LZ4_MAX_DISTANCE = 65_535;
/** After this many bytes without a match, step further each time (incompressible data). */
const LZ4_SKIP_TRIGGER = 6;

/**
 * A greedy single-hash LZ4 block compressor (the reference compressor's fast mode, simplified).
 * Written here because lz4js's breaks the end-of-block rules above: blocks near 64 KiB then fail
 * in the reference decoder. Returns the compressed size in `out`, or `src.length` or more when
 * storing the block uncompressed is as small.
 */
function lz4CompressBlock(src: Buffer, out: Buffer, table: Int32Array): number {
  const n = src.length;
  table.fill(-1);
  let op = 0;
  let anchor = 0;
  let ip = 0;
  const lastMatchStart = n - LZ4_MFLIMIT;
  const matchEnd = n - LZ4_LAST_LITERALS;
  while (ip <= lastMatchStart) {
    const sequence = src.readUInt32LE(ip);
    const hash = Math.imul(sequence, 2654435761) >>> 16;
    const ref = table[hash]!;
    table[hash] = ip;
    if (ref < 0 || ip - ref > LZ4_MAX_DISTANCE || src.readUInt32LE(ref) !== sequence) {
      ip += 1 + ((ip - anchor) >> LZ4_SKIP_TRIGGER);
      continue;
    }
    let length = LZ4_MIN_MATCH;
    while (ip + length < matchEnd && src[ip + length] === src[ref + length]) length++;
    op = lz4Sequence(out, op, src, anchor, ip - anchor, ip - ref, length - LZ4_MIN_MATCH);
    ip += length;
    anchor = ip;
  }
  return lz4Sequence(out, op, src, anchor, n - anchor, 0, -1);
}

/** Writes one sequence (token, literals, offset, match length); `matchExtra < 0` = the last literals only. */
function lz4Sequence(
  out: Buffer,
  op: number,
  src: Buffer,
  from: number,
  literals: number,
  offset: number,
  matchExtra: number,
): number {
  out[op++] = (Math.min(literals, 15) << 4) | (matchExtra < 0 ? 0 : Math.min(matchExtra, 15));
  if (literals >= 15) op = lz4Length(out, op, literals - 15);
  op += src.copy(out, op, from, from + literals);
  if (matchExtra < 0) return op;
  out[op++] = offset & 0xff;
  out[op++] = offset >> 8;
  if (matchExtra >= 15) op = lz4Length(out, op, matchExtra - 15);
  return op;
}

function lz4Length(out: Buffer, op: number, rest: number): number {
  for (; rest >= 255; rest -= 255) out[op++] = 255;
  out[op++] = rest;
  return op;
}

/** Decodes the frame at `at` into `out`; returns where the next frame starts. */
function lz4Frame(src: Buffer, start: number, out: Buffer[]): number {
  const fail = (what: string): never => {
    throw new Error(`lz4 frame at byte ${start}: ${what}`);
  };
  if (start + 7 > src.length) fail('truncated header');
  const magic = src.readUInt32LE(start);
  if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
    return start + 8 + src.readUInt32LE(start + 4);
  }
  if (magic !== LZ4_MAGIC) fail(`bad magic number 0x${magic.toString(16)}`);
  let at = start + 4;
  const flg = src[at++]!;
  const bd = src[at++]!;
  if (flg >> 6 !== 1) fail(`unsupported version ${flg >> 6}`);
  const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7] ?? fail(`bad block size code ${(bd >> 4) & 7}`);
  if (flg & FLG_CONTENT_SIZE) at += 8;
  if (flg & FLG_DICT_ID) fail('a dictionary id is set (Kafka never uses dictionaries)');
  at += 1; // header checksum: the record batch's CRC32C already covers these bytes

  // Size the output first (blocks share one buffer: linked blocks refer back into earlier ones).
  let bound = 0;
  for (let scan = at; ; ) {
    if (scan + 4 > src.length) fail('truncated block size (no end mark)');
    const word = src.readUInt32LE(scan);
    if (word === 0) break;
    const size = (word & ~UNCOMPRESSED_BIT) >>> 0;
    bound += word & UNCOMPRESSED_BIT ? size : blockMax;
    scan += 4 + size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
    if (scan > src.length) fail('a block runs past the end');
  }
  const dst = Buffer.alloc(bound);
  let written = 0;
  for (;;) {
    const word = src.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = (word & ~UNCOMPRESSED_BIT) >>> 0;
    if (size > blockMax) fail(`block of ${size} bytes exceeds the frame's ${blockMax}`);
    if (word & UNCOMPRESSED_BIT) {
      src.copy(dst, written, at, at + size);
      written += size;
    } else {
      const end = lz4.decompressBlock(src, dst, at, size, written);
      if (end - written > blockMax || end > dst.length) fail('a block decompresses past its maximum size');
      written = end;
    }
    at += size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
  }
  if (flg & FLG_CONTENT_CHECKSUM) at += 4;
  out.push(dst.subarray(0, written));
  return at;
}

// ---- zstd -------------------------------------------------------------------------------------

type WasmZstd = { compress(data: Uint8Array, level?: number): Uint8Array };
let wasmZstd: Promise<WasmZstd> | undefined;

/** Kafka's default zstd level (`compression.zstd.level`). */
const ZSTD_LEVEL = 3;

export const zstdCodec: ByteCodec = {
  async compress(data) {
    // Compiled on first use only: a function that never writes zstd never pays for it.
    wasmZstd ??= import('@hpcc-js/wasm-zstd').then(({ Zstd }) => Zstd.load());
    return Buffer.from((await wasmZstd).compress(data, ZSTD_LEVEL));
  },
  decompress(data) {
    const bytes = zstdDecompress(data);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
};

export const BYTE_CODECS: Record<Exclude<KafkaCompression, 'none' | 'gzip'>, ByteCodec> = {
  snappy: snappyCodec,
  lz4: lz4Codec,
  zstd: zstdCodec,
};

let registered = false;

/**
 * Puts snappy, lz4 and zstd into kafkajs's process-wide codec table (gzip is built in). Idempotent.
 * A batch that fails to decompress rejects with the codec named, which kafkajs surfaces as a
 * consumer error for that partition.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const kafkajsCodec = (name: string, codec: ByteCodec) => () => ({
    compress: (encoder: { buffer: Buffer }) => codec.compress(encoder.buffer),
    decompress: async (buffer: Buffer) => {
      try {
        return codec.decompress(buffer);
      } catch (error) {
        throw new Error(`cannot decompress a ${name} record batch (${(error as Error).message})`, {
          cause: error,
        });
      }
    },
  });
  CompressionCodecs[CompressionTypes.Snappy] = kafkajsCodec('snappy', snappyCodec);
  CompressionCodecs[CompressionTypes.LZ4] = kafkajsCodec('lz4', lz4Codec);
  CompressionCodecs[CompressionTypes.ZSTD] = kafkajsCodec('zstd', zstdCodec);
}
