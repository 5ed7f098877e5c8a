import { ConfigError, messageOf } from '../core/errors';
import type { DeserializeContext, Serde, SerdeInput, SerializeContext } from '../core/serde';
import { decodeConfluentFrame, encodeConfluentFrame, WireFormatError } from './confluent-wire';
import { type CodecLoader, FORMAT_NAMES, type FormatCodec } from './format-codec';
import {
  decodeGlueFrame,
  encodeGlueFrame,
  GLUE_HEADER_BYTES,
  GLUE_HEADER_VERSION,
  type GlueCompression,
  isUuid,
  uuidFromBytes,
} from './glue-wire';
import type { DataFormat, RegistrySchema, SchemaRegistry } from './registry';
import { cachedRegistry } from './registry-cache';
import { SchemaFailure } from './schema-failure';

export interface SchemaSerdeOptions {
  registry: SchemaRegistry;
  /**
   * The schema outputs are written with (required to serialise); for Avro also the schema inputs
   * are read as (records written with another version are resolved to it). Avro and JSON Schema:
   * the schema as JSON text or object; Protobuf: the `.proto` source.
   */
  schema?: string | object;
  /** Protobuf: the message type outputs are written as (default: the first message of `schema`) */
  messageType?: string;
  /**
   * Where outputs' schema is registered: the Confluent subject (default `<topic>-key` /
   * `<topic>-value`, Confluent's TopicNameStrategy) or the Glue schema name (default the topic
   * for values, `<topic>-key` for keys).
   */
  subject?: string;
  /** register the output schema when the registry does not have it (default false) */
  autoRegister?: boolean;
  /** Glue only: compress outputs with zlib (inputs are read either way) */
  compression?: GlueCompression;
  /**
   * Records Lambda's schema-registry integration already decoded (the event carries
   * `keySchemaMetadata` / `valueSchemaMetadata` with a schema id): `JSON` for
   * `EventRecordFormat: JSON`, `SOURCE` for the unframed source bytes, `auto` (default) takes a
   * JSON object or array as JSON and anything else as SOURCE.
   */
  lambdaRecordFormat?: 'auto' | 'JSON' | 'SOURCE';
}

const caches = new WeakMap<SchemaRegistry, SchemaRegistry>();

function shared(registry: SchemaRegistry): SchemaRegistry {
  let cached = caches.get(registry);
  if (!cached) {
    cached = cachedRegistry(registry);
    caches.set(registry, cached);
  }
  return cached;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A serde for schema-registry data of one format. Decoding reads the registry's frame (Confluent
 * or Glue, by the registry), looks each schema id up once per process (in `prepareDeserialize`,
 * before the batch is decoded) and parses each schema once; encoding writes the frame with the id
 * of the output schema, looked up (or registered) once in `prepareSerialize`.
 */
export function schemaSerde<T>(format: DataFormat, load: CodecLoader, options: SchemaSerdeOptions): Serde<T> {
  const registry = shared(options.registry);
  const kind = registry.kind;
  const name = `${FORMAT_NAMES[format]}(${kind})`;
  const writer = options.schema === undefined ? undefined : writerSchema(format, options.schema, name);
  const avroReader = format === 'AVRO' && writer ? writer.definition : undefined;
  /** parsed in the first prepareSerialize (the format library loads on first use) */
  let writerCodec: FormatCodec | undefined;
  const indexing = kind;
  const lambdaFormat = options.lambdaRecordFormat ?? 'auto';

  /** id → parsed codec, for every schema met so far; or why it cannot be had. */
  const codecs = new Map<string, FormatCodec>();
  const failures = new Map<string, SchemaFailure>();
  /** subject → id of the output schema */
  const outputIds = new Map<string, string>();

  function subjectOf(context: SerializeContext): string {
    if (options.subject) return options.subject;
    if (kind === 'confluent') return `${context.topic}-${context.part}`;
    return context.part === 'key' ? `${context.topic}-key` : context.topic;
  }

  function codecFor(id: string): FormatCodec {
    const codec = codecs.get(id);
    if (codec) return codec;
    const failure = failures.get(id);
    if (failure) throw failure;
    throw new Error(
      `schema id ${id} was not looked up before decoding: Sluice calls prepareDeserialize() before a batch; ` +
        'when using the serde directly, await serde.prepareDeserialize([{ bytes }]) first',
    );
  }

  async function lookup(id: string): Promise<void> {
    if (codecs.has(id)) return;
    let schema: RegistrySchema;
    try {
      schema = await registry.fetchSchema(id);
    } catch (error) {
      if (error instanceof SchemaFailure) {
        failures.set(id, error);
        return;
      }
      throw error; // unavailable: retriable, fails the batch
    }
    if (schema.format !== format) {
      failures.set(
        id,
        new SchemaFailure(
          'DESERIALIZATION_ERROR',
          id,
          `schema id ${id} is a ${schema.format} schema; this serde (${name}) reads ${format}`,
        ),
      );
      return;
    }
    try {
      codecs.set(id, await load(schema, { avroReader, messageType: options.messageType }));
      failures.delete(id);
    } catch (error) {
      failures.set(
        id,
        new SchemaFailure(
          'DESERIALIZATION_ERROR',
          id,
          `schema id ${id} does not parse: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    }
  }

  /** The schema id a record needs looked up, if any (never throws: a bad frame fails in deserialize). */
  function idNeeded(bytes: Buffer | null, context: DeserializeContext | undefined): string | undefined {
    if (bytes === null) return undefined;
    const metaId = context?.schema?.schemaId;
    if (metaId) return takesJson(bytes, context) ? undefined : metaId;
    if (kind === 'confluent')
      return bytes.length >= 5 && bytes[0] === 0 ? String(bytes.readInt32BE(1)) : undefined;
    return bytes.length >= GLUE_HEADER_BYTES && bytes[0] === GLUE_HEADER_VERSION
      ? uuidFromBytes(bytes.subarray(2, GLUE_HEADER_BYTES))
      : undefined;
  }

  function takesJson(bytes: Buffer, context: DeserializeContext | undefined): boolean {
    if (lambdaFormat === 'JSON') return true;
    if (lambdaFormat === 'SOURCE') return format === 'JSON';
    const dataFormat = context?.schema?.dataFormat;
    if (format === 'JSON' || dataFormat === 'JSON') return true;
    const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
    if (first !== 0x7b && first !== 0x5b) return false;
    try {
      JSON.parse(utf8.decode(bytes));
      return true;
    } catch {
      return false;
    }
  }

  function decodeWith(id: string, payload: Buffer, wire: 'confluent' | 'glue'): unknown {
    const codec = codecFor(id);
    try {
      return codec.decode(payload, wire);
    } catch (error) {
      throw new SchemaFailure(
        'DESERIALIZATION_ERROR',
        id,
        `the bytes do not decode with schema id ${id} (${FORMAT_NAMES[format]}): ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  return {
    name,
    async prepareDeserialize(inputs: ReadonlyArray<SerdeInput>) {
      const ids = new Set<string>();
      for (const input of inputs) {
        const id = idNeeded(input.bytes, input.context);
        if (id !== undefined && !codecs.has(id)) ids.add(id);
      }
      await Promise.all([...ids].map(lookup));
    },
    deserialize(bytes, context) {
      if (bytes === null) {
        throw new TypeError(
          `got null (a tombstone or absent key); use serde.nullable(serde.${FORMAT_NAMES[format]}(…)) to accept it`,
        );
      }
      const metaId = context?.schema?.schemaId;
      if (metaId) {
        // Lambda's integration decoded the record: it carries the schema id, not the frame.
        if (takesJson(bytes, context)) {
          try {
            return JSON.parse(utf8.decode(bytes)) as T;
          } catch (error) {
            throw new SchemaFailure(
              'DESERIALIZATION_ERROR',
              metaId,
              `the JSON Lambda delivered does not parse: ${messageOf(error)}`,
            );
          }
        }
        return decodeWith(metaId, bytes, isUuid(metaId) ? 'glue' : 'confluent') as T;
      }
      let id: string;
      let payload: Buffer;
      try {
        if (kind === 'confluent') {
          const frame = decodeConfluentFrame(bytes);
          id = String(frame.schemaId);
          payload = frame.payload;
        } else {
          const frame = decodeGlueFrame(bytes);
          id = frame.schemaVersionId;
          payload = frame.payload;
        }
      } catch (error) {
        if (!(error instanceof WireFormatError)) throw error;
        const id = idNeeded(bytes, context);
        throw new SchemaFailure('DESERIALIZATION_ERROR', id, `corrupt ${kind} frame: ${error.message}`, {
          cause: error,
        });
      }
      return decodeWith(id, payload, indexing) as T;
    },
    async prepareSerialize(context) {
      const subject = subjectOf(context);
      if (outputIds.has(subject)) return;
      if (!writer) {
        throw new ConfigError(
          `${name} has no schema to write with: pass schema to the serde of ${context.topic} (${context.part})`,
        );
      }
      if (!writerCodec) {
        try {
          writerCodec = await load(writer, { messageType: options.messageType });
        } catch (error) {
          throw new ConfigError(`${name}: the schema given to the serde does not parse: ${messageOf(error)}`);
        }
      }
      const id = await registry.resolveId(subject, writer, options.autoRegister ?? false);
      outputIds.set(subject, id);
      if (!codecs.has(id)) codecs.set(id, writerCodec);
    },
    serialize(value, context) {
      if (!writerCodec)
        throw new ConfigError(`${name} has no schema to write with: pass schema to the serde`);
      let id: string | undefined;
      if (context) id = outputIds.get(subjectOf(context));
      else if (options.subject) id = outputIds.get(options.subject);
      else if (outputIds.size === 1) id = outputIds.values().next().value;
      if (id === undefined) {
        throw new ConfigError(
          `${name}: the output schema's id is not known yet${context ? ` for ${context.topic} (${context.part})` : ''}: ` +
            'Sluice calls prepareSerialize() before process(); when using the serde directly, await serde.prepareSerialize({ topic, part }) first',
        );
      }
      const payload = writerCodec.encode(value, indexing);
      return kind === 'confluent'
        ? encodeConfluentFrame(Number(id), payload)
        : encodeGlueFrame(id, payload, options.compression ?? 'none');
    },
  };
}

/** Checked at definition (cold start) as far as is cheap: the full parse waits for first use. */
function writerSchema(format: DataFormat, schema: string | object, name: string): RegistrySchema {
  if (format === 'PROTOBUF') {
    if (typeof schema !== 'string') throw new ConfigError(`${name}: schema must be the .proto source text`);
    return { format, definition: schema };
  }
  if (typeof schema !== 'string') return { format, definition: JSON.stringify(schema) };
  if (format === 'JSON' || /^\s*[[{]/.test(schema)) {
    try {
      JSON.parse(schema);
    } catch (error) {
      throw new ConfigError(`${name}: the schema is not JSON: ${messageOf(error)}`);
    }
  }
  return { format, definition: schema };
}
