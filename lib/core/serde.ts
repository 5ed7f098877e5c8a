/**
 * Turns bytes of a Kafka key or value into values and back. `deserialize` receives null for an
 * absent key or a tombstone; the plain serdes reject null (wrap them in `serde.nullable`).
 *
 * Schema-registry serdes need lookups, which are asynchronous, while (de)serialising stays
 * synchronous: the optional `prepare*` hooks are awaited before a batch is decoded (with every
 * record's bytes) and before outputs are serialised, so the lookups happen once per schema, not
 * per record.
 */
export interface Serde<T> {
  readonly name: string;
  serialize(value: T, context?: SerializeContext): Buffer | null;
  deserialize(bytes: Buffer | null, context?: DeserializeContext): T;
  prepareDeserialize?(inputs: ReadonlyArray<SerdeInput>): Promise<void>;
  prepareSerialize?(context: SerializeContext): Promise<void>;
}

/** Where serialised bytes go: the sink's topic, as key or value (names a registry subject). */
export interface SerializeContext {
  topic: string;
  part: 'key' | 'value';
}

/**
 * What the event says about a record's key or value besides its bytes: the schema metadata
 * Lambda's schema-registry integration adds (`keySchemaMetadata` / `valueSchemaMetadata`).
 */
export interface DeserializeContext {
  schema?: { dataFormat?: string; schemaId?: string | null };
}

export interface SerdeInput {
  bytes: Buffer | null;
  context?: DeserializeContext;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function notNull(bytes: Buffer | null, name: string): Buffer {
  if (bytes === null) {
    throw new TypeError(
      `got null (a tombstone or absent key); use serde.nullable(serde.${name}()) to accept it`,
    );
  }
  return bytes;
}

/**
 * @example
 * source: { topic: 'sentences', value: serde.string() }
 */
export const serde = {
  string(): Serde<string> {
    return {
      name: 'string',
      serialize: (value) => Buffer.from(value, 'utf8'),
      deserialize: (bytes) => utf8.decode(notNull(bytes, 'string')),
    };
  },
  json<T = unknown>(): Serde<T> {
    return {
      name: 'json',
      serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
      deserialize: (bytes) => JSON.parse(utf8.decode(notNull(bytes, 'json'))) as T,
    };
  },
  bytes(): Serde<Buffer> {
    return {
      name: 'bytes',
      serialize: (value) => value,
      deserialize: (bytes) => notNull(bytes, 'bytes'),
    };
  },
  nullable<T>(inner: Serde<T>): Serde<T | null> {
    return {
      name: `nullable(${inner.name})`,
      serialize: (value) => (value === null ? null : inner.serialize(value)),
      deserialize: (bytes) => (bytes === null ? null : inner.deserialize(bytes)),
    };
  },
};

export function isSerde(value: unknown): value is Serde<unknown> {
  const v = value as Serde<unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.serialize === 'function' &&
    typeof v.deserialize === 'function'
  );
}
