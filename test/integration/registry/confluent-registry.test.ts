/** The Confluent REST client against a real registry (the stack's Apicurio, ccompat API). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { confluentRegistry } from '../../../lib';
import { SchemaFailure } from '../../../lib/registry/schema-failure';
import { injectedStack } from '../helpers/stack';

describe('Confluent-compatible registry client (Apicurio ccompat)', () => {
  it('registers when allowed, finds by definition, fetches by id, and says when an id is unknown', async () => {
    const registry = confluentRegistry({ url: injectedStack().SCHEMA_REGISTRY_URL });
    const subject = `s-${randomUUID()}`;
    const schema = {
      format: 'AVRO' as const,
      definition: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }),
    };
    await expect(registry.resolveId(subject, schema, false)).rejects.toThrow('not registered under subject');
    const id = await registry.resolveId(subject, schema, true);
    expect(await registry.resolveId(subject, schema, false)).toBe(id);
    expect(await registry.fetchSchema(id)).toMatchObject({ format: 'AVRO' });
    // Apicurio tells JSON Schema from other JSON by its $schema
    const json = {
      format: 'JSON' as const,
      definition: JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }),
    };
    const jsonId = await registry.resolveId(`${subject}-json`, json, true);
    expect(await registry.fetchSchema(jsonId)).toEqual(json);
    const missing = await registry.fetchSchema('987654').catch((e) => e);
    expect(missing).toBeInstanceOf(SchemaFailure);
    expect(missing.reason).toBe('SCHEMA_NOT_FOUND');
  });

  it('a registry that does not answer is retriable', async () => {
    const registry = confluentRegistry({ url: 'http://127.0.0.1:9/apis/ccompat/v7', timeoutMs: 1_000 });
    await expect(registry.fetchSchema('1')).rejects.toMatchObject({
      retriable: true,
      code: 'SCHEMA_REGISTRY_UNAVAILABLE',
    });
  });
});
