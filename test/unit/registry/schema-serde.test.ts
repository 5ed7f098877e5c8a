import { describe, expect, it } from 'vitest';
import { SchemaRegistryUnavailableError } from '../../../lib/core/errors';
import { encodeConfluentFrame } from '../../../lib/registry/confluent-wire';
import { encodeGlueFrame } from '../../../lib/registry/glue-wire';
import { SchemaFailure } from '../../../lib/registry/schema-failure';
import { registrySerdes as serde } from '../../../lib/registry/serdes';
import { fakeRegistry } from './fake-registry';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};
const ORDER_V2 = {
  ...ORDER,
  fields: [...ORDER.fields, { name: 'note', type: 'string', default: '' }],
};
const AT = { topic: 'orders', part: 'value' } as const;

async function decodeAll<T>(s: ReturnType<typeof serde.avro<T>>, inputs: Array<Buffer | null>) {
  await s.prepareDeserialize?.(inputs.map((bytes) => ({ bytes })));
  return inputs.map((bytes) => s.deserialize(bytes));
}

function failureOf(run: () => unknown): SchemaFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaFailure);
    return error as SchemaFailure;
  }
  throw new Error('expected a SchemaFailure');
}

describe('schema serdes', () => {
  it('write Confluent-framed Avro with the registered id and read it back', async () => {
    const registry = fakeRegistry();
    const avro = serde.avro<{ id: string; cents: number }>({ registry, schema: ORDER, autoRegister: true });
    await avro.prepareSerialize?.(AT);
    const bytes = avro.serialize({ id: 'a', cents: 3 }, AT)!;
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 1]);
    const reader = serde.avro({ registry });
    expect(await decodeAll(reader, [bytes])).toEqual([{ id: 'a', cents: 3 }]);
  });

  it('look each schema id up once per process and parse it once, however many records and serdes', async () => {
    const registry = fakeRegistry();
    const id = Number(registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) }));
    const writer = serde.avro({ registry, schema: ORDER });
    await writer.prepareSerialize?.(AT);
    const records = Array.from({ length: 100 }, (_, i) => writer.serialize({ id: `o${i}`, cents: i }, AT)!);
    expect(records[0]!.readInt32BE(1)).toBe(id);
    const a = serde.avro({ registry });
    const b = serde.avro({ registry });
    await decodeAll(a, records);
    await decodeAll(a, records);
    await decodeAll(b, records);
    expect(registry.state.fetches).toBe(1);
  });

  it('resolve records written with an older schema to the reader schema', async () => {
    const registry = fakeRegistry();
    registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) });
    const v1 = serde.avro({ registry, schema: ORDER });
    await v1.prepareSerialize?.(AT);
    const old = v1.serialize({ id: 'x', cents: 1 }, AT)!;
    const v2 = serde.avro({ registry, schema: ORDER_V2 });
    expect(await decodeAll(v2, [old])).toEqual([{ id: 'x', cents: 1, note: '' }]);
  });

  it('write and read Glue frames, zlib-compressed when asked', async () => {
    const registry = fakeRegistry('glue');
    const writer = serde.avro({ registry, schema: ORDER, autoRegister: true, compression: 'zlib' });
    await writer.prepareSerialize?.(AT);
    const bytes = writer.serialize({ id: 'g', cents: 9 }, AT)!;
    expect([bytes[0], bytes[1]]).toEqual([3, 5]);
    expect(await decodeAll(serde.avro({ registry }), [bytes])).toEqual([{ id: 'g', cents: 9 }]);
  });

  it('Protobuf and JSON Schema take the same path', async () => {
    const registry = fakeRegistry();
    const proto = 'syntax = "proto3"; message Ping { string msg = 1; int32 n = 2; }';
    const pb = serde.protobuf({ registry, schema: proto, autoRegister: true });
    await pb.prepareSerialize?.(AT);
    const pbBytes = pb.serialize({ msg: 'hi', n: 2 }, AT)!;
    expect(pbBytes[5]).toBe(0); // message indexes [0]
    expect(await decodeAll(serde.protobuf({ registry }), [pbBytes])).toEqual([{ msg: 'hi', n: 2 }]);

    const js = serde.jsonSchema({
      registry,
      schema: { type: 'object', required: ['a'] },
      autoRegister: true,
    });
    await js.prepareSerialize?.({ topic: 'other', part: 'value' });
    const jsBytes = js.serialize({ a: 1 }, { topic: 'other', part: 'value' })!;
    expect(jsBytes.subarray(5).toString()).toBe('{"a":1}');
    expect(await decodeAll(serde.jsonSchema({ registry }), [jsBytes])).toEqual([{ a: 1 }]);
  });

  it('an unknown schema id is SCHEMA_NOT_FOUND naming the id; corrupt bytes are DESERIALIZATION_ERROR', async () => {
    const registry = fakeRegistry();
    const id = Number(registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) }));
    const reader = serde.avro({ registry });
    const unknown = encodeConfluentFrame(999, Buffer.from([2, 0x61, 4]));
    const corrupt = encodeConfluentFrame(id, Buffer.from([0x7f]));
    const unframed = Buffer.from('{"id":"plain json"}');
    await reader.prepareDeserialize?.([unknown, corrupt, unframed].map((bytes) => ({ bytes })));
    expect(failureOf(() => reader.deserialize(unknown))).toMatchObject({
      reason: 'SCHEMA_NOT_FOUND',
      schemaId: '999',
    });
    expect(failureOf(() => reader.deserialize(corrupt))).toMatchObject({
      reason: 'DESERIALIZATION_ERROR',
      schemaId: String(id),
    });
    const notFramed = failureOf(() => reader.deserialize(unframed));
    expect(notFramed.reason).toBe('DESERIALIZATION_ERROR');
    expect(notFramed.message).toContain("not Confluent's magic byte 0");
  });

  it('a schema of another format is DESERIALIZATION_ERROR saying so', async () => {
    const registry = fakeRegistry();
    const id = Number(registry.add({ format: 'PROTOBUF', definition: 'syntax = "proto3"; message M {}' }));
    const reader = serde.avro({ registry });
    const bytes = encodeConfluentFrame(id, Buffer.from([0]));
    await reader.prepareDeserialize?.([{ bytes }]);
    expect(failureOf(() => reader.deserialize(bytes)).message).toContain(
      'is a PROTOBUF schema; this serde (avro(confluent)) reads AVRO',
    );
  });

  it('a registry that is down fails the preparation with a retriable error', async () => {
    const registry = fakeRegistry('glue');
    registry.state.down = true;
    const reader = serde.avro({ registry });
    const bytes = encodeGlueFrame('7d55d475-2244-4485-8341-f74468c1e058', Buffer.from([2]));
    const failed = reader.prepareDeserialize?.([{ bytes }]);
    await expect(failed).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
    await expect(failed).rejects.toMatchObject({ retriable: true });
  });

  it('an output schema that is not registered, without autoRegister, is a configuration error', async () => {
    const writer = serde.avro({ registry: fakeRegistry(), schema: ORDER });
    await expect(writer.prepareSerialize?.(AT)).rejects.toThrow('not registered under orders-value');
    expect(() => writer.serialize({ id: 'a', cents: 1 }, AT)).toThrow(
      "the output schema's id is not known yet",
    );
  });

  it("take what Lambda's integration decoded: JSON as is, SOURCE bytes with the event's schema id", async () => {
    const registry = fakeRegistry();
    const id = registry.add({ format: 'AVRO', definition: JSON.stringify(ORDER) });
    const writer = serde.avro({ registry, schema: ORDER });
    await writer.prepareSerialize?.(AT);
    const source = writer.serialize({ id: 's', cents: 2 }, AT)!.subarray(5);
    const reader = serde.avro({ registry });
    const meta = { schema: { dataFormat: 'AVRO', schemaId: id } };
    const json = Buffer.from('{"id":"j","cents":1}');
    await reader.prepareDeserialize?.([
      { bytes: json, context: meta },
      { bytes: source, context: meta },
    ]);
    expect(reader.deserialize(json, meta)).toEqual({ id: 'j', cents: 1 });
    expect(reader.deserialize(source, meta)).toEqual({ id: 's', cents: 2 });
    const forcedSource = serde.avro({ registry, lambdaRecordFormat: 'SOURCE' });
    await forcedSource.prepareDeserialize?.([{ bytes: json, context: meta }]);
    expect(failureOf(() => forcedSource.deserialize(json, meta)).reason).toBe('DESERIALIZATION_ERROR');
  });

  it('Protobuf SOURCE records keep their message indexes (Glue: one varint, as Powertools reads them)', async () => {
    const registry = fakeRegistry('glue');
    const proto = 'syntax = "proto3"; message A { string a = 1; } message B { string b = 1; }';
    const writer = serde.protobuf({ registry, schema: proto, messageType: 'B', autoRegister: true });
    await writer.prepareSerialize?.(AT);
    const framed = writer.serialize({ b: 'x' }, AT)!;
    const id = framed
      .subarray(2, 18)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
    const source = framed.subarray(18);
    expect(source[0]).toBe(1);
    const reader = serde.protobuf({ registry });
    const meta = { schema: { dataFormat: 'PROTOBUF', schemaId: id } };
    await reader.prepareDeserialize?.([{ bytes: source, context: meta }]);
    expect(reader.deserialize(source, meta)).toEqual({ b: 'x' });
  });

  it('reject null unless wrapped in nullable', () => {
    expect(() => serde.avro({ registry: fakeRegistry() }).deserialize(null)).toThrow(
      'serde.nullable(serde.avro(…))',
    );
  });
});
