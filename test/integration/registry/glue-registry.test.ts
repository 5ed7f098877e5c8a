/**
 * The Glue client and serdes against the AWS Glue Schema Registry of the stack's moto server
 * (the same server as S3 answers Glue's API): schemas created and looked up by definition,
 * versions fetched by id, unknown ids, all three formats, compressed frames.
 */
import { randomUUID } from 'node:crypto';
import { CreateRegistryCommand, GlueClient } from '@aws-sdk/client-glue';
import { beforeAll, describe, expect, it } from 'vitest';
import { glueRegistry, serde } from '../../../lib';
import { encodeGlueFrame } from '../../../lib/registry/glue-wire';
import { SchemaFailure } from '../../../lib/registry/schema-failure';
import { injectedStack } from '../helpers/stack';

const ORDER = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
};
let registryName: string;

beforeAll(async () => {
  // moto serves every AWS API on one port: Glue is where S3 is.
  process.env.AWS_ENDPOINT_URL_GLUE ??= injectedStack().AWS_ENDPOINT_URL_S3;
  registryName = `sluice-${randomUUID().slice(0, 8)}`;
  const glue = new GlueClient({});
  await glue.send(new CreateRegistryCommand({ RegistryName: registryName }));
  glue.destroy();
});

async function roundTrip<T>(
  writer: ReturnType<typeof serde.avro<T>>,
  reader: ReturnType<typeof serde.avro<T>>,
  values: T[],
  topic: string,
) {
  await writer.prepareSerialize?.({ topic, part: 'value' });
  const bytes = values.map((v) => writer.serialize(v, { topic, part: 'value' })!);
  await reader.prepareDeserialize?.(bytes.map((b) => ({ bytes: b })));
  return { bytes, read: bytes.map((b) => reader.deserialize(b)) };
}

describe('AWS Glue Schema Registry (moto)', () => {
  it('Avro: the sink creates the schema, a fresh serde reads it back by schema version id, zlib or not', async () => {
    const topic = `orders-${randomUUID().slice(0, 8)}`;
    const values = [
      { id: 'a', cents: 1 },
      { id: 'b', cents: 2 },
    ];
    const { bytes, read } = await roundTrip(
      serde.avro({
        registry: glueRegistry({ registryName }),
        schema: ORDER,
        autoRegister: true,
        compression: 'zlib',
      }),
      serde.avro({ registry: glueRegistry({ registryName }) }),
      values,
      topic,
    );
    expect(read).toEqual(values);
    expect([bytes[0]![0], bytes[0]![1]]).toEqual([3, 5]);
    // Looked up by definition the second time: the same schema version id.
    const again = serde.avro({ registry: glueRegistry({ registryName }), schema: ORDER });
    await again.prepareSerialize?.({ topic, part: 'value' });
    const id = (b: Buffer) => b.subarray(2, 18).toString('hex');
    expect(id(again.serialize(values[0]!, { topic, part: 'value' })!)).toBe(id(bytes[0]!));
  });

  it('JSON Schema and Protobuf the same way', async () => {
    const json = await roundTrip(
      serde.jsonSchema({
        registry: glueRegistry({ registryName }),
        schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        autoRegister: true,
      }),
      serde.jsonSchema({ registry: glueRegistry({ registryName }) }),
      [{ n: 1 }, { n: 2 }],
      `json-${randomUUID().slice(0, 8)}`,
    );
    expect(json.read).toEqual([{ n: 1 }, { n: 2 }]);
    const proto =
      'syntax = "proto3";\npackage shop;\nmessage Ping { int32 n = 1; }\nmessage Order { string id = 1; int64 cents = 2; }\n';
    const pb = await roundTrip(
      serde.protobuf({
        registry: glueRegistry({ registryName }),
        schema: proto,
        messageType: 'shop.Order',
        autoRegister: true,
      }),
      serde.protobuf({ registry: glueRegistry({ registryName }) }),
      [{ id: 'x', cents: '7' }],
      `pb-${randomUUID().slice(0, 8)}`,
    );
    expect(pb.read).toEqual([{ id: 'x', cents: '7' }]);
    expect(pb.bytes[0]![18]).toBe(0); // Glue message index: Order sorts before Ping
  });

  it('an unknown schema version id is SCHEMA_NOT_FOUND from the real API', async () => {
    const reader = serde.avro({ registry: glueRegistry({ registryName }) });
    const unknown = randomUUID();
    const bytes = encodeGlueFrame(unknown, Buffer.from([2, 0x61, 2]));
    await reader.prepareDeserialize?.([{ bytes }]);
    let failure: unknown;
    try {
      reader.deserialize(bytes);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SchemaFailure);
    expect(failure).toMatchObject({ reason: 'SCHEMA_NOT_FOUND', schemaId: unknown });
  });

  it('a schema that is not registered, without autoRegister, is a configuration error naming it', async () => {
    const writer = serde.avro({ registry: glueRegistry({ registryName }), schema: ORDER });
    await expect(writer.prepareSerialize?.({ topic: 'never-registered', part: 'value' })).rejects.toThrow(
      'not registered as schema "never-registered"',
    );
  });
});
