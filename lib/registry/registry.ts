/**
 * What a schema serde needs from a registry, whichever it is (Confluent-compatible REST, AWS Glue).
 * Implementations map their errors at this boundary: an id the registry does not know is a
 * `SchemaFailure('SCHEMA_NOT_FOUND')`; a registry that cannot answer is a retriable
 * `SchemaRegistryUnavailableError`; a serializer's schema that is not registered (and may not be)
 * is a `ConfigError`.
 */
export type DataFormat = 'AVRO' | 'PROTOBUF' | 'JSON';

export interface RegistrySchema {
  format: DataFormat;
  /** the schema text as registered (Avro JSON, `.proto` source, JSON Schema JSON) */
  definition: string;
  /** Protobuf: the text of each file the schema imports, by import name (Confluent references) */
  imports?: Record<string, string>;
}

export interface SchemaRegistry {
  /** decides the wire format: Confluent's magic byte and int id, or Glue's header and UUID */
  readonly kind: 'confluent' | 'glue';
  /** names the registry in messages (URL or registry name; never credentials) */
  readonly description: string;
  /** the schema of an id (Confluent: the integer as text; Glue: the schema version UUID) */
  fetchSchema(id: string): Promise<RegistrySchema>;
  /**
   * The id of `schema` under `subject` (Confluent subject; Glue schema name), registering it when
   * it is absent and `register` is true.
   */
  resolveId(subject: string, schema: RegistrySchema, register: boolean): Promise<string>;
}
