/** infra/serverless-sluice.cjs: `schemaRegistry` onto the ESM's SchemaRegistryConfig (issue 16). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: compiled CloudFormation is untyped JSON, read by tests
type Resources = Record<string, any>;
interface PluginModule {
  validateSluiceSection(section: unknown, functionNames: string[]): Map<string, Record<string, unknown>>;
  applyToTemplate(
    template: { Resources: Resources },
    options: Map<string, Record<string, unknown>>,
    service: { lambdaLogicalId: (name: string) => string },
  ): string[];
}

const plugin = createRequire(import.meta.url)('../../../infra/serverless-sluice.cjs') as PluginModule;
const lambdaLogicalId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`;
const GLUE = 'arn:aws:glue:eu-west-1:123456789012:registry/orders';

function template(mapping: Record<string, unknown>): { Resources: Resources } {
  return {
    Resources: {
      CountLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
      CountEventSourceMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: { 'Fn::GetAtt': ['CountLambdaFunction', 'Arn'] },
          Topics: ['orders'],
          ...mapping,
        },
      },
    },
  };
}

function apply(schemaRegistry: unknown, mapping: Record<string, unknown>) {
  const t = template(mapping);
  const options = plugin.validateSluiceSection({ functions: { count: { schemaRegistry } } }, ['count']);
  plugin.applyToTemplate(t, options, { lambdaLogicalId });
  return t.Resources.CountEventSourceMapping.Properties;
}

const PROVISIONED = { ProvisionedPollerConfig: { MinimumPollers: 1 } };

describe('serverless-sluice plugin: schemaRegistry', () => {
  it('maps onto AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig of an MSK trigger', () => {
    const properties = apply(
      { uri: GLUE, eventRecordFormat: 'SOURCE', validate: ['key', 'value'] },
      {
        ...PROVISIONED,
        EventSourceArn: 'arn:aws:kafka:eu-west-1:1:cluster/x/y',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'g' },
      },
    );
    expect(properties.AmazonManagedKafkaEventSourceConfig).toEqual({
      ConsumerGroupId: 'g',
      SchemaRegistryConfig: {
        SchemaRegistryURI: GLUE,
        EventRecordFormat: 'SOURCE',
        SchemaValidationConfigs: [{ Attribute: 'KEY' }, { Attribute: 'VALUE' }],
      },
    });
  });

  it('maps onto SelfManagedKafkaEventSourceConfig with BASIC_AUTH for a Confluent registry', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry';
    const properties = apply(
      {
        uri: 'https://psrc.example.com',
        eventRecordFormat: 'JSON',
        accessConfigs: [{ type: 'BASIC_AUTH', uri: secret }],
      },
      { ...PROVISIONED, SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['b:9092'] } } },
    );
    expect(properties.SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig).toEqual({
      SchemaRegistryURI: 'https://psrc.example.com',
      EventRecordFormat: 'JSON',
      SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
      AccessConfigs: [{ Type: 'BASIC_AUTH', URI: secret }],
    });
  });

  it('refuses an on-demand trigger: Lambda takes schema registries in provisioned mode only', () => {
    expect(() =>
      apply({ uri: GLUE, eventRecordFormat: 'JSON' }, { EventSourceArn: 'arn:aws:kafka:x' }),
    ).toThrow(/schemaRegistry need\(s\) provisioned mode on the Kafka trigger: add provisionedPollerConfig/);
  });

  it.each([
    [{ uri: 'registry.example.com', eventRecordFormat: 'JSON' }, 'uri must be an AWS Glue registry ARN'],
    [{ uri: GLUE }, 'eventRecordFormat must be JSON or SOURCE'],
    [{ uri: GLUE, eventRecordFormat: 'JSON', validate: ['headers'] }, 'validate must list key and/or value'],
    [
      { uri: GLUE, eventRecordFormat: 'JSON', accessConfigs: [{ type: 'TOKEN', uri: 'x' }] },
      'accessConfigs[0] must be',
    ],
    [{ uri: GLUE, eventRecordFormat: 'JSON', ttl: 3 }, 'ttl is not a schema registry setting'],
  ])('rejects %j, saying what to fix', (registry, message) => {
    expect(() =>
      plugin.validateSluiceSection({ functions: { count: { schemaRegistry: registry } } }, ['count']),
    ).toThrow(message);
  });
});
