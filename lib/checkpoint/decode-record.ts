import { DecodeError, SchemaDecodeError, SchemaRegistryUnavailableError } from '../core/errors';
import type { RawRecord } from '../event/types';
import { SchemaFailure } from '../registry/schema-failure';
import type { FunctionDefinition, SourceRecord } from './definition';

/** Passes a record's bytes through the function's serdes; failures name the record. */
export function decodeRecord(definition: FunctionDefinition, raw: RawRecord): SourceRecord<unknown, unknown> {
  let key: unknown;
  let value: unknown;
  try {
    key = definition.source.key.deserialize(
      raw.key,
      raw.keySchemaMetadata && { schema: raw.keySchemaMetadata },
    );
  } catch (error) {
    throw decodeFailure(raw, 'key', error);
  }
  try {
    value = definition.source.value.deserialize(
      raw.value,
      raw.valueSchemaMetadata && { schema: raw.valueSchemaMetadata },
    );
  } catch (error) {
    throw decodeFailure(raw, 'value', error);
  }
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    timestamp: raw.timestamp,
    timestampType: raw.timestampType,
    key,
    value,
    headers: raw.headers,
  };
}

/** A bad record is terminal (naming it, and its schema id when it has one); a registry down is not. */
function decodeFailure(raw: RawRecord, part: 'key' | 'value', error: unknown): Error {
  if (error instanceof SchemaRegistryUnavailableError) return error;
  if (error instanceof SchemaFailure) return new SchemaDecodeError(raw, part, error, error);
  return new DecodeError(raw, part, error);
}
