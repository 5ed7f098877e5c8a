import type { Serde } from '../core/serde';
import { loadAvroCodec, loadJsonSchemaCodec, loadProtobufCodec } from './format-codec';
import { type SchemaSerdeOptions, schemaSerde } from './schema-serde';

/**
 * Schema-registry serdes, one per format; each reads and writes the wire format of its registry
 * (`confluentRegistry(...)` or `glueRegistry(...)`).
 *
 * @example
 * const registry = confluentRegistry({ url: process.env.SCHEMA_REGISTRY_URL! });
 * source: { topic: 'orders', value: serde.avro<Order>({ registry, schema: orderSchema }) }
 */
export const registrySerdes = {
  avro<T = unknown>(options: SchemaSerdeOptions): Serde<T> {
    return schemaSerde<T>('AVRO', loadAvroCodec, options);
  },
  protobuf<T = unknown>(options: SchemaSerdeOptions): Serde<T> {
    return schemaSerde<T>('PROTOBUF', loadProtobufCodec, options);
  },
  jsonSchema<T = unknown>(options: SchemaSerdeOptions): Serde<T> {
    return schemaSerde<T>('JSON', loadJsonSchemaCodec, options);
  },
};
