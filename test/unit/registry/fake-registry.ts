import { SchemaRegistryUnavailableError } from '../../../lib/core/errors';
import type { RegistrySchema, SchemaRegistry } from '../../../lib/registry/registry';
import { SchemaFailure } from '../../../lib/registry/schema-failure';

/** An in-memory registry at the SchemaRegistry boundary (unit tests only), counting calls. */
export function fakeRegistry(kind: 'confluent' | 'glue' = 'confluent') {
  const schemas = new Map<string, RegistrySchema>();
  const subjects = new Map<string, string>();
  let next = 1;
  const state = { down: false, fetches: 0, resolves: 0 };
  const newId = () =>
    kind === 'confluent' ? String(next++) : `00000000-0000-4000-8000-${String(next++).padStart(12, '0')}`;
  const registry: SchemaRegistry & { add(schema: RegistrySchema): string; state: typeof state } = {
    kind,
    description: `fake ${kind} registry`,
    state,
    add(schema) {
      const id = newId();
      schemas.set(id, schema);
      return id;
    },
    async fetchSchema(id) {
      state.fetches += 1;
      if (state.down) throw new SchemaRegistryUnavailableError('fake registry is down');
      const schema = schemas.get(id);
      if (!schema)
        throw new SchemaFailure('SCHEMA_NOT_FOUND', id, `schema id ${id} is not in the fake registry`);
      return schema;
    },
    async resolveId(subject, schema, register) {
      state.resolves += 1;
      if (state.down) throw new SchemaRegistryUnavailableError('fake registry is down');
      const key = `${subject}\n${schema.definition}`;
      const known =
        subjects.get(key) ??
        [...schemas].find(([, s]) => s.format === schema.format && s.definition === schema.definition)?.[0];
      if (known) return known;
      if (!register) throw new Error(`not registered under ${subject}`);
      const id = registry.add(schema);
      subjects.set(key, id);
      return id;
    },
  };
  return registry;
}
