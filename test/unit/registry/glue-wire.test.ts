import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireFormatError } from '../../../lib/registry/confluent-wire';
import {
  decodeGlueFrame,
  encodeGlueFrame,
  uuidFromBytes,
  uuidToBytes,
} from '../../../lib/registry/glue-wire';

const ID = '7d55d475-2244-4485-8341-f74468c1e058';

// awslabs/aws-glue-schema-registry: header version 3, compression byte 0 (none) or 5 (zlib),
// the 16-byte schema version UUID, then the (maybe deflated) payload.
describe('AWS Glue wire format', () => {
  it('is version 3, compression 0, the UUID bytes, then the payload', () => {
    const framed = encodeGlueFrame(ID, Buffer.from('data'));
    expect(framed[0]).toBe(3);
    expect(framed[1]).toBe(0);
    expect(framed.subarray(2, 18).toString('hex')).toBe(ID.replaceAll('-', ''));
    expect(framed.subarray(18).toString()).toBe('data');
    expect(decodeGlueFrame(framed)).toEqual({
      schemaVersionId: ID,
      compression: 'none',
      payload: Buffer.from('data'),
    });
  });

  it('compresses with zlib under compression byte 5, and reads what Java deflated', () => {
    const payload = Buffer.from('a'.repeat(500));
    const framed = encodeGlueFrame(ID, payload, 'zlib');
    expect(framed[1]).toBe(5);
    expect(framed.length).toBeLessThan(100);
    expect(decodeGlueFrame(framed).payload).toEqual(payload);
    // java.util.zip.Deflater writes the zlib format, as deflateSync does
    const java = Buffer.concat([Buffer.from([3, 5]), uuidToBytes(ID), deflateSync(payload)]);
    expect(decodeGlueFrame(java)).toEqual({ schemaVersionId: ID, compression: 'zlib', payload });
  });

  it('round-trips any UUID, payload and compression', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (id, payload, zlib) => {
        const frame = decodeGlueFrame(encodeGlueFrame(id, payload, zlib ? 'zlib' : 'none'));
        expect(frame.schemaVersionId).toBe(id.toLowerCase());
        expect([...frame.payload]).toEqual([...payload]);
      }),
    );
  });

  it('rejects a short record, another version, an unknown compression or a payload that does not inflate', () => {
    expect(() => decodeGlueFrame(Buffer.from([3, 0, 1]))).toThrow('too short');
    expect(() => decodeGlueFrame(Buffer.alloc(20, 0))).toThrow('Confluent magic byte');
    expect(() => decodeGlueFrame(Buffer.concat([Buffer.from([3, 2]), uuidToBytes(ID)]))).toThrow(
      'unknown AWS Glue compression byte 2',
    );
    expect(() =>
      decodeGlueFrame(Buffer.concat([Buffer.from([3, 5]), uuidToBytes(ID), Buffer.from('nope')])),
    ).toThrow(WireFormatError);
  });

  it('spells UUIDs as Glue does', () => {
    expect(uuidFromBytes(uuidToBytes(ID))).toBe(ID);
    expect(() => uuidToBytes('not-a-uuid')).toThrow('is not a UUID');
  });
});
