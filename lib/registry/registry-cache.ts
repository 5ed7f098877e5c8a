import type { RegistrySchema, SchemaRegistry } from './registry';
import { SchemaFailure } from './schema-failure';

/**
 * An unknown schema id is asked again after this long: a record naming it is terminal anyway,
 * but a batch of many such records must not ask once per record, and a registry that lagged
 * behind the producer's registration gets a second chance on a later batch.
 */
const NOT_FOUND_RETRY_MS = 30_000;

/**
 * Per-process memo of a registry: every id is fetched once (schemas under an id never change),
 * concurrent asks share one request, a failure that may pass (registry down) is forgotten at
 * once so the retry asks again.
 */
export function cachedRegistry(registry: SchemaRegistry, now: () => number = Date.now): SchemaRegistry {
  const schemas = new Map<string, Promise<RegistrySchema>>();
  const missing = new Map<string, { at: number; failure: SchemaFailure }>();
  const ids = new Map<string, Promise<string>>();
  return {
    kind: registry.kind,
    description: registry.description,
    fetchSchema(id) {
      const miss = missing.get(id);
      if (miss && now() - miss.at < NOT_FOUND_RETRY_MS) return Promise.reject(miss.failure);
      let pending = schemas.get(id);
      if (!pending) {
        pending = registry.fetchSchema(id).catch((error: unknown) => {
          schemas.delete(id);
          if (error instanceof SchemaFailure && error.reason === 'SCHEMA_NOT_FOUND') {
            missing.set(id, { at: now(), failure: error });
          }
          throw error;
        });
        schemas.set(id, pending);
      }
      return pending;
    },
    resolveId(subject, schema, register) {
      const key = JSON.stringify([subject, schema.format, schema.definition, register]);
      let pending = ids.get(key);
      if (!pending) {
        pending = registry.resolveId(subject, schema, register).catch((error: unknown) => {
          ids.delete(key);
          throw error;
        });
        ids.set(key, pending);
      }
      return pending;
    },
  };
}
