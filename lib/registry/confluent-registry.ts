import { ConfigError, SchemaRegistryUnavailableError } from '../core/errors';
import type { DataFormat, RegistrySchema, SchemaRegistry } from './registry';
import { type GetSecretString, type RegistryAuth, resolveRegistryAuth } from './registry-credentials';
import { SchemaFailure } from './schema-failure';

/**
 * A Confluent-compatible schema registry through its REST API
 * (https://docs.confluent.io/platform/current/schema-registry/develop/api.html): Confluent
 * Schema Registry, Confluent Cloud, Apicurio's `/apis/ccompat/v7`, Karapace, Redpanda.
 */
export interface ConfluentRegistryOptions {
  /** base URL, e.g. `https://psrc-xxxx.region.aws.confluent.cloud` or `http://host:8080/apis/ccompat/v7` */
  url: string;
  auth?: RegistryAuth;
  /** per request; the registry counts as down past it */
  timeoutMs?: number;
  /** tests inject these */
  fetch?: typeof fetch;
  getSecretString?: GetSecretString;
}

/** A lookup is a small GET: past this the registry is as good as down for a Lambda batch. */
const DEFAULT_TIMEOUT_MS = 5_000;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Confluent's error codes (the `error_code` of a 404 body). */
const SUBJECT_NOT_FOUND = 40401;
const VERSION_NOT_FOUND = 40402;
const SCHEMA_NOT_FOUND = 40403;

interface SchemaResponse {
  schema?: string;
  schemaType?: string;
  references?: Array<{ name: string; subject: string; version: number }>;
  id?: number;
}

/**
 * @example
 * const registry = confluentRegistry({ url: 'https://registry.example.com', auth: { secretArn } });
 */
export function confluentRegistry(options: ConfluentRegistryOptions): SchemaRegistry {
  const base = options.url.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ConfigError(
      `schema registry url "${options.url}" is not a URL (e.g. https://registry.example.com)`,
    );
  }
  const description = `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let authHeader: Promise<string | undefined> | undefined;

  function authorization(): Promise<string | undefined> {
    if (!options.auth) return Promise.resolve(undefined);
    authHeader ??= resolveRegistryAuth(options.auth, options.getSecretString).then(
      ({ username, password }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      (error: unknown) => {
        authHeader = undefined;
        throw error;
      },
    );
    return authHeader;
  }

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: CONTENT_TYPE };
    const auth = await authorization();
    if (auth) headers.authorization = auth;
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new SchemaRegistryUnavailableError(
        `schema registry ${description} did not answer ${method} ${path}: ${(error as Error).message}; the batch is retried`,
        error,
      );
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status === 401 || response.status === 403) {
      throw new SchemaRegistryUnavailableError(
        `schema registry ${description} refused the credentials (HTTP ${response.status}) for ${method} ${path}: ` +
          'check the registry auth (username/password or its Secrets Manager secret); the batch is retried',
      );
    }
    if (response.status === 429 || response.status >= 500) {
      throw new SchemaRegistryUnavailableError(
        `schema registry ${description} answered HTTP ${response.status} to ${method} ${path}: ${errorMessage(json, text)}; the batch is retried`,
      );
    }
    return { status: response.status, json };
  }

  async function fetchSubjectVersion(subject: string, version: number): Promise<SchemaResponse> {
    const { status, json } = await call(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
    );
    if (status !== 200) {
      throw new SchemaFailure(
        'SCHEMA_NOT_FOUND',
        undefined,
        `schema reference ${subject} version ${version} is not in registry ${description}: ${errorMessage(json)}`,
      );
    }
    return json as SchemaResponse;
  }

  /** The text of every file a Protobuf schema imports, following references of references. */
  async function resolveImports(response: SchemaResponse, into: Record<string, string> = {}) {
    for (const ref of response.references ?? []) {
      if (into[ref.name] !== undefined) continue;
      const referenced = await fetchSubjectVersion(ref.subject, ref.version);
      into[ref.name] = referenced.schema ?? '';
      await resolveImports(referenced, into);
    }
    return into;
  }

  return {
    kind: 'confluent',
    description,
    async fetchSchema(id) {
      if (!/^\d+$/.test(id)) {
        throw new SchemaFailure('SCHEMA_NOT_FOUND', id, `"${id}" is not a Confluent schema id (an integer)`);
      }
      const { status, json } = await call('GET', `/schemas/ids/${id}`);
      if (status === 404) {
        throw new SchemaFailure(
          'SCHEMA_NOT_FOUND',
          id,
          `schema id ${id} is not in registry ${description} (${errorMessage(json)})`,
        );
      }
      if (status !== 200) {
        throw new SchemaRegistryUnavailableError(
          `schema registry ${description} answered HTTP ${status} to GET /schemas/ids/${id}: ${errorMessage(json)}`,
        );
      }
      const response = json as SchemaResponse;
      if (typeof response?.schema !== 'string') {
        throw new SchemaRegistryUnavailableError(
          `schema registry ${description} answered GET /schemas/ids/${id} without a schema`,
        );
      }
      const format = formatOf(response.schemaType);
      const imports = response.references?.length ? await resolveImports(response) : undefined;
      return { format, definition: response.schema, ...(imports && { imports }) };
    },
    async resolveId(subject, schema, register) {
      const body = {
        schema: schema.definition,
        ...(schema.format !== 'AVRO' && { schemaType: schema.format }),
      };
      const path = `/subjects/${encodeURIComponent(subject)}`;
      const lookup = await call('POST', path, body);
      const found = lookup.json as SchemaResponse | undefined;
      if (lookup.status === 200 && typeof found?.id === 'number') return String(found.id);
      const code = (lookup.json as { error_code?: number } | undefined)?.error_code;
      if (
        lookup.status !== 404 ||
        (code !== undefined &&
          code !== SUBJECT_NOT_FOUND &&
          code !== SCHEMA_NOT_FOUND &&
          code !== VERSION_NOT_FOUND)
      ) {
        throw new ConfigError(
          `schema registry ${description} rejected the lookup of the sink's schema under subject "${subject}" ` +
            `(HTTP ${lookup.status}: ${errorMessage(lookup.json)}): check the schema`,
        );
      }
      if (!register) {
        throw new ConfigError(
          `the sink's ${schema.format} schema is not registered under subject "${subject}" in ${description}: ` +
            'register it (the producer team owns it), or pass autoRegister: true to the serde',
        );
      }
      const created = await call('POST', `${path}/versions`, body);
      const id = (created.json as SchemaResponse | undefined)?.id;
      if (created.status !== 200 || typeof id !== 'number') {
        throw new ConfigError(
          `schema registry ${description} refused to register the sink's schema under subject "${subject}" ` +
            `(HTTP ${created.status}: ${errorMessage(created.json)}): an incompatible change (409) or an invalid schema (422)?`,
        );
      }
      return String(id);
    },
  };
}

function formatOf(schemaType: string | undefined): DataFormat {
  // Confluent omits schemaType for Avro, its first format.
  if (schemaType === undefined || schemaType === 'AVRO') return 'AVRO';
  if (schemaType === 'PROTOBUF') return 'PROTOBUF';
  if (schemaType === 'JSON') return 'JSON';
  return schemaType as DataFormat;
}

function errorMessage(json: unknown, text = ''): string {
  const message = (json as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  return text.slice(0, 200) || 'no details';
}

export type { RegistrySchema };
