import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { registryFor } from '../../../../tools/trigger/schema-decoding';
import { resolveSchemaRegistrySettings } from '../../../../tools/trigger/schema-registry-settings';
import { parseServerlessConfig } from '../../../../tools/trigger/serverless-config';
import { resolveTriggerSettings } from '../../../../tools/trigger/settings';

const GLUE = 'arn:aws:glue:eu-west-1:123456789012:registry/orders';

describe("emulated ESM: schemaRegistry (Lambda's SchemaRegistryConfig)", () => {
  it('defaults validate to the value and keeps what is given', () => {
    expect(resolveSchemaRegistrySettings({ uri: GLUE, eventRecordFormat: 'JSON' }, 'x')).toEqual({
      uri: GLUE,
      eventRecordFormat: 'JSON',
      validate: ['value'],
      accessConfigs: [],
    });
    const settings = resolveTriggerSettings(
      'fn',
      {
        topic: 't',
        schemaRegistry: {
          uri: 'https://sr.example.com',
          eventRecordFormat: 'SOURCE',
          validate: ['key', 'value'],
        },
      },
      'fn',
    );
    expect(settings.schemaRegistry?.validate).toEqual(['key', 'value']);
  });

  it.each([
    [{ uri: GLUE }, 'eventRecordFormat must be JSON'],
    [{ uri: 'ftp://x', eventRecordFormat: 'JSON' }, 'uri must be an AWS Glue registry ARN'],
    [{ uri: GLUE, eventRecordFormat: 'JSON', validate: [] }, 'validate must list key and/or value'],
    [
      {
        uri: GLUE,
        eventRecordFormat: 'JSON',
        accessConfigs: [{ type: 'BASIC_AUTH', uri: 'arn:aws:secretsmanager:x' }],
      },
      'reached with the function',
    ],
    [{ uri: GLUE, eventRecordFormat: 'JSON', extra: 1 }, 'extra is not a schema registry setting'],
  ])('rejects %j', (input, message) => {
    expect(() => resolveSchemaRegistrySettings(input, 'custom.sluice.functions.fn.schemaRegistry')).toThrow(
      ConfigError,
    );
    expect(() => resolveSchemaRegistrySettings(input, 'custom.sluice.functions.fn.schemaRegistry')).toThrow(
      message,
    );
  });

  it('names the registry from the uri: a Glue ARN or a Confluent URL', () => {
    const glue = registryFor(resolveSchemaRegistrySettings({ uri: GLUE, eventRecordFormat: 'JSON' }, 'x'));
    expect([glue.kind, glue.description]).toEqual(['glue', 'AWS Glue registry orders']);
    const confluent = registryFor(
      resolveSchemaRegistrySettings({ uri: 'https://sr.example.com/', eventRecordFormat: 'JSON' }, 'x'),
    );
    expect([confluent.kind, confluent.description]).toEqual(['confluent', 'https://sr.example.com']);
  });
});

describe('serverless.yml: custom.sluice.functions.<fn>.schemaRegistry reaches the emulated trigger', () => {
  it('as the plugin deploys it', () => {
    const config = parseServerlessConfig(
      `
service: s
frameworkVersion: '*'
provider: { name: aws, runtime: nodejs22.x, region: eu-west-1 }
functions:
  totals:
    handler: functions/totals.handler
    events:
      - msk: { arn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1', topic: orders, provisionedPollerConfig: { minimumPollers: 1 } }
custom:
  sluice:
    functions:
      totals:
        onFailureTopic: orders-undecodable
        schemaRegistry: { uri: '${GLUE}', eventRecordFormat: SOURCE, validate: [key, value] }
`,
      { env: {}, dir: '/project' },
    );
    expect(config.functions[0]!.triggers[0]).toMatchObject({
      topic: 'orders',
      onFailureTopic: 'orders-undecodable',
      schemaRegistry: {
        uri: GLUE,
        eventRecordFormat: 'SOURCE',
        validate: ['key', 'value'],
        accessConfigs: [],
      },
    });
  });
});
