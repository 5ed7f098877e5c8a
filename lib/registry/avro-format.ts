import avro from 'avsc';

/**
 * Avro binary encoding (https://avro.apache.org/docs/1.11.1/specification/#binary-encoding)
 * through `avsc`. A schema is parsed once per writer schema and reader schema pair; records
 * written with an older or newer schema are resolved to the reader schema by Avro's rules.
 */
export interface AvroCodec {
  decode(payload: Buffer): unknown;
  encode(value: unknown): Buffer;
}

export function parseAvroSchema(definition: string): avro.Type {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    // A bare primitive name ("string") is a valid Avro schema too.
    parsed = definition.trim();
  }
  return avro.Type.forSchema(parsed as avro.Schema);
}

/** A codec for records written with `writer`, read as `reader` (the same when absent). */
export function avroCodec(writer: avro.Type, reader?: avro.Type): AvroCodec {
  const resolver = reader && !sameSchema(reader, writer) ? reader.createResolver(writer) : undefined;
  const target = reader ?? writer;
  return {
    decode(payload) {
      // fromBuffer throws on trailing bytes, so a truncated or padded record is an error too.
      return resolver ? target.fromBuffer(payload, resolver) : target.fromBuffer(payload);
    },
    encode(value) {
      const errors: string[] = [];
      const valid = writer.isValid(value, {
        errorHook: (path) => errors.push(path.length ? path.join('.') : '(the value)'),
      });
      if (!valid) {
        throw new TypeError(
          `the value does not match the Avro schema ${writer.name ?? writer.typeName} at ${errors.join(', ')}`,
        );
      }
      return writer.toBuffer(value);
    },
  };
}

function sameSchema(a: avro.Type, b: avro.Type): boolean {
  return a.fingerprint().equals(b.fingerprint());
}
