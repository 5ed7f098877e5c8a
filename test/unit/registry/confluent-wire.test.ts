import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeConfluentFrame,
  encodeConfluentFrame,
  readMessageIndexes,
  WireFormatError,
  writeMessageIndexes,
} from '../../../lib/registry/confluent-wire';

// https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
describe('Confluent wire format', () => {
  it('is magic byte 0, the schema id as a big-endian int32, then the payload', () => {
    const framed = encodeConfluentFrame(0x01020304, Buffer.from('avro'));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, ...Buffer.from('avro')]);
    expect(decodeConfluentFrame(framed)).toEqual({ schemaId: 0x01020304, payload: Buffer.from('avro') });
  });

  it('round-trips any id and payload', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.uint8Array({ maxLength: 64 }),
        (id, payload) => {
          const frame = decodeConfluentFrame(encodeConfluentFrame(id, payload));
          expect(frame.schemaId).toBe(id);
          expect([...frame.payload]).toEqual([...payload]);
        },
      ),
    );
  });

  it('rejects a short record or another magic byte, saying what it saw', () => {
    expect(() => decodeConfluentFrame(Buffer.from([0, 0, 1]))).toThrow(WireFormatError);
    expect(() => decodeConfluentFrame(Buffer.from([0, 0, 1]))).toThrow('too short');
    expect(() => decodeConfluentFrame(Buffer.from('{"a":1}'))).toThrow(
      "first byte is 123, not Confluent's magic byte 0",
    );
    expect(() => decodeConfluentFrame(Buffer.alloc(20, 3))).toThrow('AWS Glue header version');
  });

  it('writes the message indexes [0] as the single byte 0, others as zig-zag varints', () => {
    expect([...writeMessageIndexes([0])]).toEqual([0]);
    // count 1 → zig-zag 2; index 1 → 2
    expect([...writeMessageIndexes([1])]).toEqual([2, 2]);
    // count 2 → 4; indexes 1, 0 → 2, 0
    expect([...writeMessageIndexes([1, 0])]).toEqual([4, 2, 0]);
    // index 64 → zig-zag 128 → varint 0x80 0x01
    expect([...writeMessageIndexes([64])]).toEqual([2, 0x80, 0x01]);
  });

  it('reads message indexes back and leaves the message after them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ maxLength: 16 }),
        (indexes, message) => {
          const payload = Buffer.concat([writeMessageIndexes(indexes), message]);
          const read = readMessageIndexes(payload);
          expect(read.indexes).toEqual(indexes);
          expect([...read.message]).toEqual([...message]);
        },
      ),
    );
  });

  it('rejects truncated or impossible message indexes', () => {
    expect(() => readMessageIndexes(Buffer.from([4, 2]))).toThrow(WireFormatError);
    expect(() => readMessageIndexes(Buffer.from([0x80]))).toThrow('bad Protobuf message indexes');
    expect(() => readMessageIndexes(Buffer.from([0x7e, 1]))).toThrow('impossible');
  });
});
