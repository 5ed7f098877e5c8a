import { ConfigError, SchemaRegistryUnavailableError } from '../core/errors';
import type { DataFormat, SchemaRegistry } from './registry';
import { SchemaFailure } from './schema-failure';

/**
 * The AWS Glue Schema Registry through the AWS SDK (`@aws-sdk/client-glue`, loaded on first use so
 * a function that never meets a Glue-framed record does not pay for it at cold start). Endpoint
 * and credentials are the SDK's own (`AWS_ENDPOINT_URL_GLUE`, the function's role).
 */
export interface GlueRegistryOptions {
  /** the registry sinks register their schemas in (`default-registry` is Glue's default) */
  registryName?: string;
  region?: string;
  /** compatibility of schemas this client creates (Glue's default: BACKWARD) */
  compatibility?:
    | 'NONE'
    | 'DISABLED'
    | 'BACKWARD'
    | 'BACKWARD_ALL'
    | 'FORWARD'
    | 'FORWARD_ALL'
    | 'FULL'
    | 'FULL_ALL';
  /** tests inject this: one Glue API call by operation name */
  send?: GlueSend;
}

export type GlueOperation =
  | 'GetSchemaVersion'
  | 'GetSchemaByDefinition'
  | 'RegisterSchemaVersion'
  | 'CreateSchema';
export type GlueSend = (
  operation: GlueOperation,
  input: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

const DEFAULT_REGISTRY = 'default-registry';
/** A newly registered version is PENDING while Glue checks compatibility; it takes well under a second. */
const PENDING_POLLS = 10;
const PENDING_POLL_MS = 200;

/**
 * @example
 * const registry = glueRegistry({ registryName: 'orders' });
 */
export function glueRegistry(options: GlueRegistryOptions = {}): SchemaRegistry {
  const registryName = options.registryName ?? DEFAULT_REGISTRY;
  const send = options.send ?? lazySdkSend(options.region);
  const description = `AWS Glue registry ${registryName}`;

  async function call(operation: GlueOperation, input: Record<string, unknown>) {
    try {
      return await send(operation, input);
    } catch (error) {
      if (isNotFound(error) || isInvalidInput(error)) throw error;
      throw new SchemaRegistryUnavailableError(
        `${description}: ${operation} failed (${nameOf(error)}: ${(error as Error).message}); the batch is retried`,
        error,
      );
    }
  }

  async function waitAvailable(schemaVersionId: string, status: unknown): Promise<string> {
    for (let i = 0; status === 'PENDING' && i < PENDING_POLLS; i++) {
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
      status = (await call('GetSchemaVersion', { SchemaVersionId: schemaVersionId })).Status;
    }
    if (status !== 'AVAILABLE') {
      throw new ConfigError(
        `${description}: schema version ${schemaVersionId} is ${String(status)}, not AVAILABLE ` +
          '(an incompatible change? see its compatibility setting)',
      );
    }
    return schemaVersionId;
  }

  return {
    kind: 'glue',
    description,
    async fetchSchema(id) {
      let result: Record<string, unknown>;
      try {
        result = await call('GetSchemaVersion', { SchemaVersionId: id });
      } catch (error) {
        if (!isNotFound(error) && !isInvalidInput(error)) throw error;
        throw new SchemaFailure(
          'SCHEMA_NOT_FOUND',
          id,
          `schema version ${id} is not in AWS Glue (${(error as Error).message})`,
          { cause: error },
        );
      }
      const definition = result.SchemaDefinition;
      if (typeof definition !== 'string') {
        throw new SchemaRegistryUnavailableError(
          `${description}: GetSchemaVersion ${id} returned no SchemaDefinition`,
        );
      }
      return { format: result.DataFormat as DataFormat, definition };
    },
    async resolveId(schemaName, schema, register) {
      const SchemaId = { RegistryName: registryName, SchemaName: schemaName };
      try {
        const found = await call('GetSchemaByDefinition', { SchemaId, SchemaDefinition: schema.definition });
        return await waitAvailable(String(found.SchemaVersionId), found.Status);
      } catch (error) {
        if (!isNotFound(error)) throw mapConfig(error, `looking up schema ${schemaName}`);
      }
      if (!register) {
        throw new ConfigError(
          `the sink's ${schema.format} schema is not registered as schema "${schemaName}" in ${description}: ` +
            'register it, or pass autoRegister: true to the serde',
        );
      }
      try {
        const version = await call('RegisterSchemaVersion', {
          SchemaId,
          SchemaDefinition: schema.definition,
        });
        return await waitAvailable(String(version.SchemaVersionId), version.Status);
      } catch (error) {
        if (!isNotFound(error)) throw mapConfig(error, `registering a version of schema ${schemaName}`);
      }
      try {
        const created = await call('CreateSchema', {
          RegistryId: { RegistryName: registryName },
          SchemaName: schemaName,
          DataFormat: schema.format,
          Compatibility: options.compatibility ?? 'BACKWARD',
          SchemaDefinition: schema.definition,
        });
        return await waitAvailable(String(created.SchemaVersionId), created.SchemaVersionStatus);
      } catch (error) {
        throw mapConfig(error, `creating schema ${schemaName}`);
      }
    },
  };
}

function mapConfig(error: unknown, what: string): unknown {
  if (error instanceof SchemaRegistryUnavailableError || error instanceof ConfigError) return error;
  return new ConfigError(`AWS Glue refused ${what}: ${nameOf(error)}: ${(error as Error).message}`);
}

function nameOf(error: unknown): string {
  return (error as { name?: string })?.name ?? 'Error';
}

function isNotFound(error: unknown): boolean {
  return nameOf(error) === 'EntityNotFoundException';
}

function isInvalidInput(error: unknown): boolean {
  return nameOf(error) === 'InvalidInputException';
}

function lazySdkSend(region: string | undefined): GlueSend {
  let loaded: Promise<GlueSend> | undefined;
  const load = async (): Promise<GlueSend> => {
    const sdk = await import('@aws-sdk/client-glue');
    const client = new sdk.GlueClient(region ? { region } : {});
    const commands = {
      GetSchemaVersion: sdk.GetSchemaVersionCommand,
      GetSchemaByDefinition: sdk.GetSchemaByDefinitionCommand,
      RegisterSchemaVersion: sdk.RegisterSchemaVersionCommand,
      CreateSchema: sdk.CreateSchemaCommand,
    };
    return async (operation, input) => {
      const Command = commands[operation] as unknown as new (
        input: unknown,
      ) => Parameters<typeof client.send>[0];
      return (await client.send(new Command(input))) as unknown as Record<string, unknown>;
    };
  };
  return async (operation, input) => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return (await loaded)(operation, input);
  };
}
