import { describe, expect, it } from 'vitest';
import { avroCodec, parseAvroSchema } from '../../../lib/registry/avro-format';
import { jsonSchemaCodec } from '../../../lib/registry/json-schema-format';
import { protobufCodec } from '../../../lib/registry/protobuf-format';

const PROTO = `
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message B {
  message C { string c = 1; }
  message A {
    message D { int64 d = 1; }
    string a = 1;
  }
  string b = 1;
}
message Order {
  string id = 1;
  int64 cents = 2;
  Status status = 3;
  repeated string tags = 4;
  google.protobuf.Timestamp at = 5;
}
enum Status { NEW = 0; PAID = 1; }
`;

describe('Protobuf message indexes', () => {
  const codec = protobufCodec(PROTO);

  it('Confluent: the declaration-order path; [1] is the second top-level message', () => {
    const bytes = codec.encode(
      { id: 'o1', cents: '1234', status: 'PAID', tags: ['x'] },
      'Order',
      'confluent',
    );
    expect([...bytes.subarray(0, 2)]).toEqual([2, 2]);
    expect(codec.decode(bytes, 'confluent')).toMatchObject({
      id: 'o1',
      cents: '1234',
      status: 'PAID',
      tags: ['x'],
    });
    // B.A.D is [0, 1, 0]: B first, A the second nested message of B, D the first of A
    const d = codec.encode({ d: '7' }, 'shop.B.A.D', 'confluent');
    expect([...d.subarray(0, 4)]).toEqual([6, 0, 2, 0]);
    expect(codec.decode(d, 'confluent')).toEqual({ d: '7' });
  });

  it('Glue: the position among all message types sorted by full name (B=0, B.A=1, B.A.D=2, B.C=3, Order=4)', () => {
    expect(codec.encode({ a: 'x' }, 'shop.B.A', 'glue')[0]).toBe(1);
    expect(codec.encode({ d: '1' }, 'shop.B.A.D', 'glue')[0]).toBe(2);
    expect(codec.encode({ c: 'x' }, 'shop.B.C', 'glue')[0]).toBe(3);
    const order = codec.encode({ id: 'o2' }, 'Order', 'glue');
    expect(order[0]).toBe(4);
    expect(codec.decode(order, 'glue')).toMatchObject({ id: 'o2', cents: '0', status: 'NEW', tags: [] });
  });

  it('decodes well-known types and fills defaults, as the proto3 JSON mapping reads them', () => {
    const bytes = codec.encode({ id: 'o3', at: { seconds: '10', nanos: 5 } }, 'Order', 'confluent');
    expect(codec.decode(bytes, 'confluent')).toEqual({
      id: 'o3',
      cents: '0',
      status: 'NEW',
      tags: [],
      at: { seconds: '10', nanos: 5 },
    });
  });

  it('rejects indexes that name no message, and values that are not the message', () => {
    expect(() => codec.decode(Buffer.from([2, 20]), 'confluent')).toThrow('name no message type');
    expect(() => codec.decode(Buffer.from([9]), 'glue')).toThrow('names no message type');
    expect(() => codec.encode({ tags: 'x' }, 'Order', 'glue')).toThrow('not a valid shop.Order');
    expect(() => codec.encode({}, 'Nope', 'glue')).toThrow('not declared');
  });
});

describe('Avro', () => {
  const v1 = parseAvroSchema(
    JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] }),
  );
  const v2 = parseAvroSchema(
    JSON.stringify({
      type: 'record',
      name: 'Order',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'cents', type: 'long', default: 0 },
      ],
    }),
  );

  it('round-trips a record', () => {
    const codec = avroCodec(v2);
    expect(codec.decode(codec.encode({ id: 'a', cents: 5 }))).toEqual({ id: 'a', cents: 5 });
  });

  it('reads records written with an older schema as the newer one (Avro schema resolution)', () => {
    const written = avroCodec(v1).encode({ id: 'old' });
    expect(avroCodec(v1, v2).decode(written)).toEqual({ id: 'old', cents: 0 });
  });

  it('rejects a value that does not match, naming the field, and trailing or missing bytes', () => {
    expect(() => avroCodec(v2).encode({ id: 1, cents: 2 })).toThrow('at id');
    const bytes = avroCodec(v2).encode({ id: 'a', cents: 5 });
    expect(() => avroCodec(v2).decode(bytes.subarray(0, 1))).toThrow();
    expect(() => avroCodec(v2).decode(Buffer.concat([bytes, Buffer.from([1])]))).toThrow();
  });

  it('takes a bare primitive schema', () => {
    const codec = avroCodec(parseAvroSchema('"string"'));
    expect(codec.decode(codec.encode('hi'))).toBe('hi');
  });
});

describe('JSON Schema', () => {
  const schema = JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { id: { type: 'string' }, n: { type: 'integer' } },
    required: ['id'],
  });

  it('round-trips a valid value', () => {
    const codec = jsonSchemaCodec(schema);
    expect(codec.decode(codec.encode({ id: 'a', n: 1 }))).toEqual({ id: 'a', n: 1 });
  });

  it('rejects values that do not match, on both sides, saying where', () => {
    const codec = jsonSchemaCodec(schema);
    expect(() => codec.encode({ n: 1 })).toThrow("must have required property 'id'");
    expect(() => codec.decode(Buffer.from('{"id":"a","n":"x"}'))).toThrow('/n must be integer');
    expect(() => codec.decode(Buffer.from('{"id":'))).toThrow();
  });

  it('follows $schema: 2020-12 and draft-04 schemas compile', () => {
    const modern = jsonSchemaCodec(
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'string' }],
      }),
    );
    expect(() => modern.encode([1])).toThrow();
    const old = jsonSchemaCodec(
      JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'string' }),
    );
    expect(old.decode(Buffer.from('"x"'))).toBe('x');
  });
});

describe('Protobuf schemas kept as a base64 FileDescriptorProto (as confluent-kafka Python registers them)', () => {
  // shop.proto: Ping { int32 n = 1 }, Order { string id = 1; int64 cents = 2; repeated string tags = 3 },
  // Total { string id = 1; int64 total = 2 }, as confluent-kafka 2.16.1 registered it.
  const DESCRIPTOR =
    'CgpzaG9wLnByb3RvEgRzaG9wIhEKBFBpbmcSCQoBbhgBIAEoBSIwCgVPcmRlchIKCgJpZBgBIAEoCRINCgVjZW50cxgCIAEoAxIMCgR0YWdzGAMgAygJIiIKBVRvdGFsEgoKAmlkGAEgASgJEg0KBXRvdGFsGAIgASgDYgZwcm90bzM=';

  it('read the same as the .proto source', () => {
    const codec = protobufCodec(DESCRIPTOR);
    const bytes = codec.encode({ id: 'o1', cents: '5', tags: ['a'] }, 'shop.Order', 'confluent');
    expect([...bytes.subarray(0, 2)]).toEqual([2, 2]);
    expect(codec.decode(bytes, 'confluent')).toEqual({ id: 'o1', cents: '5', tags: ['a'] });
  });
});
