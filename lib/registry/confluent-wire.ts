import { readZigZagVarint, writeZigZagVarint } from './varint';

/**
 * Confluent Schema Registry's wire format
 * (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format):
 * byte 0 is the magic byte 0, bytes 1-4 the schema id (big-endian int32), then the payload.
 * Protobuf payloads start with the message indexes: the path to the message type in the schema
 * file, written as a zig-zag varint count followed by that many zig-zag varints; the common
 * path [0] (the first message) is written as the single byte 0.
 */
export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_BYTES = 5;

export interface ConfluentFrame {
  schemaId: number;
  /** the bytes after the header (for Protobuf, still starting with the message indexes) */
  payload: Buffer;
}

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

export function isConfluentFramed(bytes: Buffer): boolean {
  return bytes.length >= CONFLUENT_HEADER_BYTES && bytes[0] === CONFLUENT_MAGIC_BYTE;
}

export function decodeConfluentFrame(bytes: Buffer): ConfluentFrame {
  if (bytes.length < CONFLUENT_HEADER_BYTES) {
    throw new WireFormatError(
      `${bytes.length} bytes is too short for Confluent framing (magic byte 0 + 4-byte schema id)`,
    );
  }
  if (bytes[0] !== CONFLUENT_MAGIC_BYTE) {
    throw new WireFormatError(
      `first byte is ${bytes[0]}, not Confluent's magic byte 0: the record was not written by a schema-registry serializer` +
        (bytes[0] === 3 ? ' (3 is the AWS Glue header version: use a Glue registry)' : ''),
    );
  }
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(CONFLUENT_HEADER_BYTES) };
}

export function encodeConfluentFrame(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new RangeError(`Confluent schema id ${schemaId} is not a non-negative 32-bit integer`);
  }
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + payload.length);
  out[0] = CONFLUENT_MAGIC_BYTE;
  out.writeInt32BE(schemaId, 1);
  out.set(payload, CONFLUENT_HEADER_BYTES);
  return out;
}

/** Reads the message indexes at the start of a Confluent Protobuf payload. */
export function readMessageIndexes(payload: Buffer): { indexes: number[]; message: Buffer } {
  try {
    const count = readZigZagVarint(payload, 0);
    if (count.value === 0) return { indexes: [0], message: payload.subarray(count.next) };
    if (count.value < 0 || count.value > payload.length) {
      throw new WireFormatError(`message index count ${count.value} is impossible`);
    }
    const indexes: number[] = [];
    let at = count.next;
    for (let i = 0; i < count.value; i++) {
      const index = readZigZagVarint(payload, at);
      if (index.value < 0) throw new WireFormatError(`negative message index ${index.value}`);
      indexes.push(index.value);
      at = index.next;
    }
    return { indexes, message: payload.subarray(at) };
  } catch (error) {
    if (error instanceof WireFormatError) throw error;
    throw new WireFormatError(`bad Protobuf message indexes: ${(error as Error).message}`);
  }
}

export function writeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const out: number[] = [];
  writeZigZagVarint(indexes.length, out);
  for (const index of indexes) writeZigZagVarint(index, out);
  return Buffer.from(out);
}
