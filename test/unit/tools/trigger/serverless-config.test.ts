import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { parseServerlessConfig } from '../../../../tools/trigger/serverless-config';

const BASE = `
service: sluice-demo
frameworkVersion: '*'
provider:
  name: aws
  runtime: nodejs22.x
  region: eu-west-1
  environment:
    SLUICE_STORE: aws
    TABLE: \${self:service}-\${sls:stage}-checkpoints
    FROM_CF: !Ref CheckpointTable
params:
  default:
    mskArn: arn:aws:kafka:eu-west-1:123456789012:cluster/demo/abc-1
  prod:
    batch: 500
`;

const parse = (yaml: string, env: NodeJS.ProcessEnv = {}) =>
  parseServerlessConfig(BASE + yaml, { env, dir: '/project' });

describe('serverless.yml', () => {
  it('reads an msk event with Lambda defaults, env and variables resolved', () => {
    const config = parse(`
functions:
  wordCount:
    handler: functions/word-count.handler
    events:
      - msk: { arn: '\${param:mskArn}', topic: test }
`);
    expect(config).toMatchObject({
      service: 'sluice-demo',
      stage: 'dev',
      region: 'eu-west-1',
      dir: '/project',
    });
    expect(config.functions).toHaveLength(1);
    const fn = config.functions[0]!;
    expect(fn).toMatchObject({
      name: 'wordCount',
      lambdaName: 'sluice-demo-dev-wordCount',
      handler: { module: 'functions/word-count', export: 'handler' },
      environment: { SLUICE_STORE: 'aws', TABLE: 'sluice-demo-dev-checkpoints' },
      timeoutMs: 6_000,
    });
    expect(fn.environment.FROM_CF).toBeUndefined();
    expect(config.warnings.join('\n')).toMatch(
      /provider\.environment\.FROM_CF .* cannot be resolved locally/,
    );
    expect(fn.triggers).toEqual([
      {
        topic: 'test',
        eventSource: 'aws:kafka',
        eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/demo/abc-1',
        consumerGroupId: 'sluice-wordCount',
        batchSize: 100,
        maximumBatchingWindowMs: 500,
        startingPosition: 'TRIM_HORIZON',
        filterPatterns: [],
        maximumRetryAttempts: -1,
        maximumRecordAgeInSeconds: -1,
        bisectBatchOnFunctionError: false,
        reportBatchItemFailures: false,
      },
    ]);
  });

  it('reads a kafka event, every setting, and custom.sluice.functions error controls', () => {
    const config = parse(
      `
functions:
  counter:
    handler: src/counter.main
    timeout: 30
    reservedConcurrency: 2
    environment:
      LEVEL: \${env:LOG_LEVEL, 'info'}
    events:
      - kafka:
          accessConfigurations: { saslScram512Auth: [arn:aws:secretsmanager:eu-west-1:123456789012:secret:k] }
          bootstrapServers: [b-1:9092]
          topic: numbers
          batchSize: \${param:batch, 10}
          maximumBatchingWindow: 2
          startingPosition: AT_TIMESTAMP
          startingPositionTimestamp: 1700000000
          consumerGroupId: counters
          onFailureDestination: kafka://numbers-dlt
          filterPatterns:
            - value: { kind: [order] }
custom:
  sluice:
    functions:
      counter:
        maximumRetryAttempts: 3
        maximumRecordAgeInSeconds: 3600
        bisectBatchOnFunctionError: true
        reportBatchItemFailures: true
`,
      { LOG_LEVEL: 'debug' },
    );
    const fn = config.functions[0]!;
    expect(fn).toMatchObject({ timeoutMs: 30_000, maxConcurrency: 2, environment: { LEVEL: 'debug' } });
    expect(fn.triggers[0]).toEqual({
      topic: 'numbers',
      eventSource: 'SelfManagedKafka',
      consumerGroupId: 'counters',
      batchSize: 10,
      maximumBatchingWindowMs: 2_000,
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestampMs: 1_700_000_000_000,
      filterPatterns: [{ value: { kind: ['order'] } }],
      maximumRetryAttempts: 3,
      maximumRecordAgeInSeconds: 3_600,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureTopic: 'numbers-dlt',
    });
  });

  it('uses the stage for params and skips disabled events and functions without Kafka events', () => {
    const config = parseServerlessConfig(
      `${BASE}
functions:
  http:
    handler: h.handler
    events: [{ httpApi: '*' }]
  off:
    handler: o.handler
    events: [{ msk: { arn: x, topic: t, enabled: false } }]
  on:
    handler: o.handler
    events: [{ msk: { arn: '\${param:mskArn}', topic: t, batchSize: '\${param:batch}' } }]
`,
      { env: {}, stage: 'prod' },
    );
    expect(config.functions.map((f) => f.name)).toEqual(['on']);
    expect(config.functions[0]!.triggers[0]!.batchSize).toBe(500);
    expect(config.warnings.join('\n')).toMatch(/events\[0\]\.msk has enabled: false/);
  });

  it('keeps an unresolvable MSK arn out of the way (with a warning)', () => {
    const config = parse(`
functions:
  f:
    handler: f.handler
    events: [{ msk: { arn: !GetAtt Cluster.Arn, topic: t } }]
`);
    expect(config.functions[0]!.triggers[0]!.eventSourceArn).toBe(
      'arn:aws:kafka:eu-west-1:000000000000:cluster/sluice-local/unresolved',
    );
    expect(config.warnings.join('\n')).toMatch(/msk\.arn is not a literal ARN locally/);
  });

  it('names a default consumer group per topic when a function has several Kafka events', () => {
    const config = parse(`
functions:
  f:
    handler: f.handler
    events:
      - msk: { arn: '\${param:mskArn}', topic: a }
      - msk: { arn: '\${param:mskArn}', topic: b }
`);
    expect(config.functions[0]!.triggers.map((t) => t.consumerGroupId)).toEqual(['sluice-f-a', 'sluice-f-b']);
  });

  it.each([
    [
      'an unknown event key',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t, maximumRetryAttempts: 2 } }] } }`,
      /functions\.f\.events\[0\]\.msk\.maximumRetryAttempts is not a msk event setting .* custom\.sluice\.functions\.f/,
    ],
    [
      'a batch size out of range',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t, batchSize: 10001 } }] } }`,
      /functions\.f\.events\[0\]\.msk\.batchSize must be an integer from 1 to 10000/,
    ],
    [
      'a record age below 60 s',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t } }] } }
custom: { sluice: { functions: { f: { maximumRecordAgeInSeconds: 10 } } } }`,
      /maximumRecordAgeInSeconds must be -1 \(infinite\) or 60-604800/,
    ],
    [
      'AT_TIMESTAMP without a timestamp',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t, startingPosition: AT_TIMESTAMP } }] } }`,
      /startingPositionTimestamp is required/,
    ],
    [
      'an unknown Sluice control',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t } }] } }
custom: { sluice: { functions: { f: { retries: 3 } } } }`,
      /custom\.sluice\.functions\.f\.retries is not a Sluice setting/,
    ],
    [
      'controls for an unknown function',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t } }] } }
custom: { sluice: { functions: { g: { maximumRetryAttempts: 3 } } } }`,
      /custom\.sluice\.functions\.g: no function "g"/,
    ],
    [
      'an on-failure topic equal to the source',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t } }] } }
custom: { sluice: { functions: { f: { onFailureTopic: t } } } }`,
      /onFailureTopic must differ from the source topic/,
    ],
    [
      'an unresolvable topic',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: '\${ssm:/topic}' } }] } }`,
      /msk\.topic is .* cannot be resolved locally/,
    ],
    [
      'a handler without an export',
      `functions: { f: { handler: functions/f, events: [{ msk: { arn: x, topic: t } }] } }`,
      /functions\.f\.handler must be <path>\.<export>/,
    ],
    [
      'two triggers sharing a consumer group',
      `functions:
  f: { handler: f.handler, events: [{ msk: { arn: x, topic: t, consumerGroupId: g } }] }
  h: { handler: h.handler, events: [{ msk: { arn: x, topic: u, consumerGroupId: g } }] }`,
      /consumer group "g" is used by f\/t and h\/u/,
    ],
    [
      'an unsupported filter operator',
      `functions: { f: { handler: f.handler, events: [{ msk: { arn: x, topic: t, filterPatterns: [{ value: { a: [{ wildcard: 'x*' }] } }] } }] } }`,
      /filterPatterns\[0\]\.value\.a\[0\]: operator "wildcard" is not supported/,
    ],
  ])('rejects %s, naming the key', (_, yaml, message) => {
    expect(() => parse(yaml)).toThrow(ConfigError);
    expect(() => parse(yaml)).toThrow(message);
  });

  it('reads custom.esbuild externals and format', () => {
    const config = parse(`
functions: {}
custom:
  esbuild: { external: ['@aws-sdk/client-s3'], exclude: [aws-sdk], format: esm }
`);
    expect(config.esbuild).toEqual({ external: ['@aws-sdk/client-s3', 'aws-sdk'], format: 'esm' });
  });
});
