import { describe, expect, it } from 'vitest';
import { ConfigError, SchemaRegistryUnavailableError } from '../../../lib/core/errors';
import { type GlueOperation, glueRegistry } from '../../../lib/registry/glue-registry';
import { SchemaFailure } from '../../../lib/registry/schema-failure';

/** The Glue client's mapping of AWS errors, at the SDK boundary (the integration test uses moto). */
function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

describe('AWS Glue registry client', () => {
  it('reads a schema version by id', async () => {
    const registry = glueRegistry({
      send: async (op, input) => {
        expect(op).toBe('GetSchemaVersion');
        expect(input).toEqual({ SchemaVersionId: 'id-1' });
        return { SchemaDefinition: '"string"', DataFormat: 'AVRO', Status: 'AVAILABLE' };
      },
    });
    expect(await registry.fetchSchema('id-1')).toEqual({ format: 'AVRO', definition: '"string"' });
  });

  it('an unknown schema version is SCHEMA_NOT_FOUND; throttling, denial and outages are retriable', async () => {
    const notFound = glueRegistry({ send: async () => Promise.reject(awsError('EntityNotFoundException')) });
    await expect(notFound.fetchSchema('x')).rejects.toMatchObject({
      reason: 'SCHEMA_NOT_FOUND',
      schemaId: 'x',
    });
    await expect(notFound.fetchSchema('x')).rejects.toBeInstanceOf(SchemaFailure);
    for (const name of [
      'ThrottlingException',
      'AccessDeniedException',
      'InternalServiceException',
      'TimeoutError',
    ]) {
      const down = glueRegistry({ send: async () => Promise.reject(awsError(name)) });
      const error = await down.fetchSchema('x').catch((e) => e);
      expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
      expect(error.message).toContain(name);
    }
  });

  it('finds an output schema by definition, else registers a version, else creates the schema', async () => {
    const calls: GlueOperation[] = [];
    const registry = glueRegistry({
      registryName: 'shop',
      send: async (op, input) => {
        calls.push(op);
        if (op === 'GetSchemaByDefinition') throw awsError('EntityNotFoundException');
        if (op === 'RegisterSchemaVersion') throw awsError('EntityNotFoundException', 'Schema is not found');
        expect(input).toMatchObject({
          RegistryId: { RegistryName: 'shop' },
          SchemaName: 'orders',
          DataFormat: 'AVRO',
        });
        return { SchemaVersionId: 'v-1', SchemaVersionStatus: 'AVAILABLE' };
      },
    });
    expect(await registry.resolveId('orders', { format: 'AVRO', definition: '"int"' }, true)).toBe('v-1');
    expect(calls).toEqual(['GetSchemaByDefinition', 'RegisterSchemaVersion', 'CreateSchema']);
    await expect(
      registry.resolveId('orders', { format: 'AVRO', definition: '"int"' }, false),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('waits for a PENDING version, and a FAILURE one is a configuration error', async () => {
    let polls = 0;
    const pending = glueRegistry({
      send: async (op) => {
        if (op === 'GetSchemaByDefinition') return { SchemaVersionId: 'v', Status: 'PENDING' };
        polls += 1;
        return { Status: polls < 2 ? 'PENDING' : 'AVAILABLE' };
      },
    });
    expect(await pending.resolveId('s', { format: 'JSON', definition: '{}' }, false)).toBe('v');
    const failed = glueRegistry({ send: async () => ({ SchemaVersionId: 'v', Status: 'FAILURE' }) });
    await expect(failed.resolveId('s', { format: 'JSON', definition: '{}' }, false)).rejects.toThrow(
      'is FAILURE',
    );
  });
});
