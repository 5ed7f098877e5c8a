/**
 * `custom.sluice.functions.<fn>.schemaRegistry`: Lambda's schema-registry integration of a Kafka
 * event source mapping (CloudFormation `SchemaRegistryConfig`,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html),
 * which the serverless plugin maps onto the ESM and the emulator reproduces:
 *
 *   schemaRegistry:
 *     uri: arn:aws:glue:eu-west-1:123456789012:registry/orders   # or https://… (Confluent)
 *     eventRecordFormat: JSON          # or SOURCE
 *     validate: [value]                # KEY and/or VALUE (SchemaValidationConfigs), default [value]
 *     accessConfigs:                   # Confluent: a BASIC_AUTH secret {"username","password"}
 *       - { type: BASIC_AUTH, uri: arn:aws:secretsmanager:…:secret:registry }
 */
import { ConfigError } from '../../lib/core/errors';

export interface SchemaRegistrySettings {
  uri: string;
  eventRecordFormat: 'JSON' | 'SOURCE';
  validate: Array<'key' | 'value'>;
  accessConfigs: Array<{ type: string; uri: string }>;
}

const KEYS = ['uri', 'eventRecordFormat', 'validate', 'accessConfigs'];
const ACCESS_TYPES = ['BASIC_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH', 'SERVER_ROOT_CA_CERTIFICATE'];
export const GLUE_REGISTRY_ARN = /^arn:aws[a-z-]*:glue:([a-z0-9-]+):\d{12}:registry\/([A-Za-z0-9_.$#-]+)$/;

export function resolveSchemaRegistrySettings(input: unknown, where: string): SchemaRegistrySettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`${where} must be a mapping of ${KEYS.join(', ')}`);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key))
      throw new ConfigError(`${where}.${key} is not a schema registry setting; allowed: ${KEYS.join(', ')}`);
  }
  const uri = raw.uri;
  if (typeof uri !== 'string' || !(GLUE_REGISTRY_ARN.test(uri) || /^https?:\/\/[^\s]+$/.test(uri))) {
    throw new ConfigError(
      `${where}.uri must be an AWS Glue registry ARN (arn:aws:glue:<region>:<account>:registry/<name>) ` +
        `or a Confluent-compatible registry URL (https://…), got ${JSON.stringify(uri)}`,
    );
  }
  const format = raw.eventRecordFormat;
  if (format !== 'JSON' && format !== 'SOURCE') {
    throw new ConfigError(
      `${where}.eventRecordFormat must be JSON (Lambda hands the function decoded JSON) or SOURCE ` +
        `(the record's own bytes, without the registry framing), got ${JSON.stringify(format)}`,
    );
  }
  const validate = raw.validate ?? ['value'];
  if (
    !Array.isArray(validate) ||
    validate.length === 0 ||
    validate.some((v) => v !== 'key' && v !== 'value') ||
    new Set(validate).size !== validate.length
  ) {
    throw new ConfigError(`${where}.validate must list key and/or value, got ${JSON.stringify(validate)}`);
  }
  const access = raw.accessConfigs ?? [];
  if (!Array.isArray(access) || access.length > 2) {
    throw new ConfigError(`${where}.accessConfigs must be a list of at most 2 { type, uri }`);
  }
  const accessConfigs = access.map((entry, i) => {
    const { type, uri: secret } = (entry ?? {}) as { type?: unknown; uri?: unknown };
    if (
      typeof type !== 'string' ||
      !ACCESS_TYPES.includes(type) ||
      typeof secret !== 'string' ||
      !secret.startsWith('arn:')
    ) {
      throw new ConfigError(
        `${where}.accessConfigs[${i}] must be { type: ${ACCESS_TYPES.join(' | ')}, uri: <Secrets Manager secret ARN> }`,
      );
    }
    return { type, uri: secret };
  });
  if (GLUE_REGISTRY_ARN.test(uri) && accessConfigs.length > 0) {
    throw new ConfigError(
      `${where}.accessConfigs: an AWS Glue registry is reached with the function's role, not secrets`,
    );
  }
  return { uri, eventRecordFormat: format, validate: validate as Array<'key' | 'value'>, accessConfigs };
}
