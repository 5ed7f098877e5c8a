import { DecodeError } from '../core/errors';
import type { RawRecord } from '../event/types';
import type { FunctionDefinition, SourceRecord } from './definition';

/** Passes a record's bytes through the function's serdes; failures name the record. */
export function decodeRecord(definition: FunctionDefinition, raw: RawRecord): SourceRecord<unknown, unknown> {
  let key: unknown;
  let value: unknown;
  try {
    key = definition.source.key.deserialize(raw.key);
  } catch (error) {
    throw new DecodeError(raw, 'key', error);
  }
  try {
    value = definition.source.value.deserialize(raw.value);
  } catch (error) {
    throw new DecodeError(raw, 'value', error);
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
