import type { MessageIndexing } from './protobuf-format';
import type { DataFormat, RegistrySchema } from './registry';

/**
 * The format libraries (avsc, protobufjs, ajv) are imported on first use, so a function that
 * uses none of them (or only one) does not load the others at cold start.
 *
 * One parsed schema of any format behind one shape: payload bytes (after the registry's frame)
 * to a value and back. `indexing` matters to Protobuf only (how the message type is named).
 */
export interface FormatCodec {
  decode(payload: Buffer, indexing: MessageIndexing): unknown;
  encode(value: unknown, indexing: MessageIndexing): Buffer;
}

export interface CodecOptions {
  /** Avro: the schema records are read as (resolved from the writer's schema by Avro's rules) */
  avroReader?: string;
  /** Protobuf: the message type values are written as (default: the schema's first message) */
  messageType?: string;
}

export async function buildCodec(schema: RegistrySchema, options: CodecOptions = {}): Promise<FormatCodec> {
  switch (schema.format) {
    case 'AVRO': {
      const { avroCodec, parseAvroSchema } = await import('./avro-format');
      const reader = options.avroReader === undefined ? undefined : parseAvroSchema(options.avroReader);
      const codec = avroCodec(parseAvroSchema(schema.definition), reader);
      return { decode: (payload) => codec.decode(payload), encode: (value) => codec.encode(value) };
    }
    case 'PROTOBUF': {
      const { protobufCodec } = await import('./protobuf-format');
      const codec = protobufCodec(schema.definition, schema.imports);
      return {
        decode: (payload, indexing) => codec.decode(payload, indexing),
        encode: (value, indexing) => codec.encode(value, options.messageType, indexing),
      };
    }
    case 'JSON': {
      const { jsonSchemaCodec } = await import('./json-schema-format');
      const codec = jsonSchemaCodec(schema.definition);
      return { decode: (payload) => codec.decode(payload), encode: (value) => codec.encode(value) };
    }
    default:
      throw new TypeError(`unknown schema format ${String((schema as { format: unknown }).format)}`);
  }
}

export const FORMAT_NAMES: Record<DataFormat, string> = {
  AVRO: 'avro',
  PROTOBUF: 'protobuf',
  JSON: 'jsonSchema',
};
