/**
 * Why a record could not be decoded, in Lambda's own words for its schema-registry integration
 * (the reasons it gives records it sends to the on-failure destination): the schema id is
 * unknown to the registry, or the bytes do not decode with (or do not match) their schema.
 */
export type SchemaFailureReason = 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR';

/** Thrown by a schema serde; the caller wraps it into a `SchemaDecodeError` naming the record. */
export class SchemaFailure extends Error {
  override readonly name = 'SchemaFailure';
  constructor(
    readonly reason: SchemaFailureReason,
    /** the schema id the record names, when it names one */
    readonly schemaId: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
