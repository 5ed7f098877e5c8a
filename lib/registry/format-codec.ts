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

/** Builds the codec of one format's schema; each format's library is imported on first call. */
export type CodecLoader = (schema: RegistrySchema, options: CodecOptions) => Promise<FormatCodec>;

/**
 * One loader per format, each its own function: a bundle of a function that only uses
 * `serde.avro` references only the Avro loader, so esbuild leaves protobufjs and ajv out of it.
 */
export const loadAvroCodec: CodecLoader = async (schema, options) => {
  const { avroCodec, parseAvroSchema } = await import('./avro-format');
  const reader = options.avroReader === undefined ? undefined : parseAvroSchema(options.avroReader);
  const codec = avroCodec(parseAvroSchema(schema.definition), reader);
  return { decode: (payload) => codec.decode(payload), encode: (value) => codec.encode(value) };
};

export const loadProtobufCodec: CodecLoader = async (schema, options) => {
  const { protobufCodec } = await import('./protobuf-format');
  const codec = protobufCodec(schema.definition, schema.imports);
  return {
    decode: (payload, indexing) => codec.decode(payload, indexing),
    encode: (value, indexing) => codec.encode(value, options.messageType, indexing),
  };
};

export const loadJsonSchemaCodec: CodecLoader = async (schema) => {
  const { jsonSchemaCodec } = await import('./json-schema-format');
  const codec = jsonSchemaCodec(schema.definition);
  return { decode: (payload) => codec.decode(payload), encode: (value) => codec.encode(value) };
};

/** Any format, by the schema's own (the emulator, which meets whatever the registry holds). */
export function buildCodec(schema: RegistrySchema, options: CodecOptions = {}): Promise<FormatCodec> {
  const loader = { AVRO: loadAvroCodec, PROTOBUF: loadProtobufCodec, JSON: loadJsonSchemaCodec }[
    schema.format
  ];
  if (!loader) throw new TypeError(`unknown schema format ${String((schema as { format: unknown }).format)}`);
  return loader(schema, options);
}

export const FORMAT_NAMES: Record<DataFormat, string> = {
  AVRO: 'avro',
  PROTOBUF: 'protobuf',
  JSON: 'jsonSchema',
};
