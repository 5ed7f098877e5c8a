/**
 * `npm run package` output: the CloudFormation template osls compiles offline from
 * serverless.yml (MSK, IAM auth) and serverless.self-managed.yml (SASL/SCRAM), with the
 * serverless-sluice plugin's error handling, the store's table and bucket, least-privilege IAM
 * and the functions' environment; then cfn-lint on both templates and infra/cloudformation/*.yml.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cfnLint,
  cloudFormationFragments,
  ensureCfnLint,
  formatFindings,
} from '../../../infra/local/cfn-lint';
import { type PackageResult, packageService, REPO_ROOT } from '../../../infra/package';
import { BATCH_METRICS } from '../../../lib/lambda/batch-metrics';
import {
  actionsOf,
  evaluate,
  iamStatements,
  mappingOf,
  only,
  packageToTemp,
  type Resource,
  resourcesOf,
  resourcesOfType,
  type Template,
} from './template';

const CLUSTER =
  'arn:aws:kafka:eu-west-1:111122223333:cluster/sluice-test/0a1b2c3d-4e5f-6789-abcd-ef0123456789-7';
const CLUSTER_PATH =
  'arn:aws:kafka:eu-west-1:111122223333:%s/sluice-test/0a1b2c3d-4e5f-6789-abcd-ef0123456789-7';
const BROKERS =
  'b-1.sluice-test.kafka.eu-west-1.amazonaws.com:9098,b-2.sluice-test.kafka.eu-west-1.amazonaws.com:9098';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:AmazonMSK_sluice-test-AbCdEf';
const FUNCTIONS = {
  prefix: 'PrefixLambdaFunction',
  generator: 'GeneratorLambdaFunction',
  'word-count': 'WordDashcountLambdaFunction',
  'word-split': 'WordDashsplitLambdaFunction',
  'word-total': 'WordDashtotalLambdaFunction',
};

let msk: { result: PackageResult; template: Template };
let selfManaged: { result: PackageResult; template: Template };
const cleanup: string[] = [];

beforeAll(async () => {
  // One packaging per config for the whole file; both run at once (separate work folders), and
  // cfn-lint installs meanwhile on a fresh machine (a venv under the cache dir, once).
  const [first, second, lint] = await Promise.allSettled([
    packageToTemp({
      params: {
        mskClusterArn: CLUSTER,
        kafkaBrokers: BROKERS,
        subnetIds: 'subnet-0aaa,subnet-0bbb',
        securityGroupIds: 'sg-0ccc',
      },
    }),
    packageToTemp({ config: 'serverless.self-managed.yml', params: { kafkaSecretArn: SECRET } }),
    ensureCfnLint(),
  ]);
  for (const settled of [first, second])
    if (settled.status === 'fulfilled') cleanup.push(settled.value.result.out);
  for (const settled of [first, second, lint]) if (settled.status === 'rejected') throw settled.reason;
  msk = (first as PromiseFulfilledResult<typeof msk>).value;
  selfManaged = (second as PromiseFulfilledResult<typeof selfManaged>).value;
});

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

const arn = (kind: string, name: string) => `${CLUSTER_PATH.replace('%s', kind)}/${name}`;

describe('serverless.yml (MSK, IAM access control)', () => {
  it('maps each function to its MSK trigger: topic, consumer group, batching, starting position', () => {
    const t = msk.template;
    const prefix = mappingOf(t, FUNCTIONS.prefix).Properties;
    expect(prefix).toMatchObject({
      EventSourceArn: CLUSTER,
      Topics: ['test'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'sluice-prefix' },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      Enabled: true,
    });
    const generator = mappingOf(t, FUNCTIONS.generator).Properties;
    expect(generator).toMatchObject({
      EventSourceArn: CLUSTER,
      Topics: ['generator-ticks'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'sluice-generator' },
      StartingPosition: 'LATEST',
      BatchSize: 10,
    });
    expect(generator.FilterCriteria).toEqual({
      Filters: [{ Pattern: JSON.stringify({ value: { count: [{ numeric: ['>', 0] }] } }) }],
    });
    const wordCount = mappingOf(t, FUNCTIONS['word-count']).Properties;
    expect(wordCount).toMatchObject({
      EventSourceArn: CLUSTER,
      Topics: ['test'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'sluice-word-count' },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 2,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
    });
    expect(mappingOf(t, FUNCTIONS['word-split']).Properties).toMatchObject({ Topics: ['test'] });
    expect(mappingOf(t, FUNCTIONS['word-total']).Properties).toMatchObject({ Topics: ['words'] });
    expect(resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')).toHaveLength(5);
  });

  it('sets custom.sluice error handling on word-count only, with its environment switch', () => {
    const t = msk.template;
    expect(mappingOf(t, FUNCTIONS['word-count']).Properties).toMatchObject({
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'kafka://word-count-failures' } },
    });
    for (const id of [FUNCTIONS.prefix, FUNCTIONS.generator]) {
      const properties = mappingOf(t, id).Properties;
      for (const key of [
        'MaximumRetryAttempts',
        'MaximumRecordAgeInSeconds',
        'BisectBatchOnFunctionError',
        'FunctionResponseTypes',
        'DestinationConfig',
      ]) {
        expect(properties, `${id} ${key}`).not.toHaveProperty(key);
      }
      expect(t.Resources[id]!.Properties.Environment.Variables).not.toHaveProperty(
        'SLUICE_REPORT_BATCH_ITEM_FAILURES',
      );
    }
    expect(
      t.Resources[FUNCTIONS['word-count']]!.Properties.Environment.Variables
        .SLUICE_REPORT_BATCH_ITEM_FAILURES,
    ).toBe('true');
  });

  it('gives every function the store, Kafka and source-map environment, in the VPC from the params', () => {
    for (const [name, id] of Object.entries(FUNCTIONS)) {
      const fn = msk.template.Resources[id]!;
      expect(fn.Properties, name).toMatchObject({
        Runtime: 'nodejs22.x',
        Handler: `functions/${name}.handler`,
        Architectures: ['arm64'],
      });
      expect(fn.Properties.Environment.Variables, name).toMatchObject({
        SLUICE_STORE: 'aws',
        SLUICE_TABLE: { Ref: 'CheckpointTable' },
        SLUICE_BUCKET: { Ref: 'StateBucket' },
        SLUICE_KAFKA_BROKERS: BROKERS,
        SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam',
        NODE_OPTIONS: '--enable-source-maps',
        SLUICE_NAMESPACE: 'sluice-dev', // <service>-<stage>: part of every Kafka identity
      });
      expect(evaluate(fn.Properties.VpcConfig), name).toEqual({
        SubnetIds: ['subnet-0aaa', 'subnet-0bbb'],
        SecurityGroupIds: ['sg-0ccc'],
      });
    }
  });

  it('schedules the outbox flush of every Kafka function: an EventBridge rule with input {"sluice":"flush"}', () => {
    const rules = Object.values(msk.template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    const targets = rules.flatMap((r) => r.Properties.Targets);
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(
      Object.keys(FUNCTIONS).map(() => 'rate(5 minutes)'),
    );
    expect(targets.map((t) => JSON.parse(t.Input))).toEqual(
      Object.keys(FUNCTIONS).map(() => ({ sluice: 'flush' })),
    );
    expect(targets.map((t) => t.Arn['Fn::GetAtt'][0]).sort()).toEqual(Object.values(FUNCTIONS).sort());
  });

  it('creates the checkpoint table on demand, with point-in-time recovery, key pk (string)', () => {
    const [, table] = only(resourcesOfType(msk.template, 'AWS::DynamoDB::Table'), 'table');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('creates the state bucket encrypted, private, TLS-only, with a lifecycle for deleted state', () => {
    const buckets = resourcesOfType(msk.template, 'AWS::S3::Bucket').filter(([id]) => id === 'StateBucket');
    const [, bucket] = only(buckets, 'state bucket');
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    const stateRule = only(
      rules.filter((r) => r.Prefix === 'sluice/'),
      'lifecycle rule on the store prefix',
    );
    expect(stateRule).toMatchObject({
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
    });
    // Current objects never expire by age: a live snapshot can be old (see state-bucket.yml).
    for (const rule of rules) expect(rule).not.toHaveProperty('ExpirationInDays');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });

    const [, policy] = only(
      resourcesOfType(msk.template, 'AWS::S3::BucketPolicy').filter(
        ([, p]) => p.Properties.Bucket.Ref === 'StateBucket',
      ),
      'state bucket policy',
    );
    const deny = only(
      (policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>).filter(
        (s) => s.Effect === 'Deny',
      ),
      'deny statement',
    );
    expect(deny).toMatchObject({
      Principal: '*',
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(evaluate(deny.Resource)).toEqual(['getatt:StateBucket.Arn', expect.stringMatching(/\/\*$/)]);
  });

  it('grants DynamoDB and S3 actions on the stack table and bucket only, never on "*"', () => {
    const statements = iamStatements(msk.template);
    const store = statements.filter((s) => actionsOf(s).some((a) => /^(dynamodb|s3):/.test(a)));
    expect(store.length).toBeGreaterThan(0);
    for (const statement of store) {
      expect(
        actionsOf(statement).every((a) => !a.endsWith('*')),
        JSON.stringify(statement.Action),
      ).toBe(true);
      for (const resource of resourcesOf(statement)) {
        expect(resource).not.toBe('*');
        expect(JSON.stringify(resource)).toMatch(/"(CheckpointTable|StateBucket)"/);
      }
    }
    const dynamo = only(
      store.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:'))),
      'DynamoDB statement',
    );
    expect(actionsOf(dynamo).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(evaluate(dynamo.Resource)).toBe('getatt:CheckpointTable.Arn');
    const objects = only(
      store.filter((s) => actionsOf(s).includes('s3:PutObject')),
      'S3 object statement',
    );
    expect(evaluate(objects.Resource)).toBe('getatt:StateBucket.Arn/sluice/*');
    // No Secrets Manager access without SASL/SCRAM.
    expect(statements.flatMap(actionsOf)).not.toContain('secretsmanager:GetSecretValue');
  });

  it('derives MSK IAM resources from the cluster ARN: topics, groups, transactional ids', () => {
    const statements = iamStatements(msk.template);
    const granted = (action: string) =>
      statements.filter((s) => actionsOf(s).includes(action)).flatMap((s) => resourcesOf(s).map(evaluate));
    expect(granted('kafka-cluster:Connect')).toEqual([CLUSTER]);
    expect(granted('kafka-cluster:WriteDataIdempotently')).toEqual([CLUSTER]);
    expect(granted('kafka-cluster:ReadData').sort()).toEqual([
      arn('topic', 'generator-ticks'),
      arn('topic', 'test'),
      arn('topic', 'words'),
    ]);
    expect(granted('kafka-cluster:WriteData').sort()).toEqual(
      [
        arn('topic', 'test'),
        arn('topic', 'generator-ticks.quarantine'),
        arn('topic', 'word-count-failures'),
        arn('topic', 'word-counts'),
        arn('topic', 'words'),
        arn('topic', 'word-totals'),
        arn('topic', 'word-counts-5s'),
        arn('topic', 'late-words'),
      ].sort(),
    );
    expect(granted('kafka-cluster:AlterGroup').sort()).toEqual(
      [
        arn('group', 'sluice-prefix'),
        arn('group', 'sluice-generator'),
        arn('group', 'sluice-word-count'),
        arn('group', 'sluice-word-split'),
        arn('group', 'sluice-word-total'),
        arn('group', 'sluice.sluice-dev.generator.outbox'),
        arn('group', 'sluice.sluice-dev.word-count.outbox'),
        arn('group', 'sluice.sluice-dev.word-split.outbox'),
        arn('group', 'sluice.sluice-dev.word-total.outbox'),
      ].sort(),
    );
    expect(granted('kafka-cluster:AlterTransactionalId').sort()).toEqual([
      arn('transactional-id', 'sluice.sluice-dev.generator.*'),
      arn('transactional-id', 'sluice.sluice-dev.word-count.*'),
      arn('transactional-id', 'sluice.sluice-dev.word-split.*'),
      arn('transactional-id', 'sluice.sluice-dev.word-total.*'),
    ]);
    for (const action of [
      'kafka-cluster:DescribeGroup',
      'kafka-cluster:DescribeTransactionalId',
      'kafka-cluster:DescribeTopic',
    ]) {
      expect(granted(action).length, action).toBeGreaterThan(0);
    }
  });

  it('bundles each function alone: one ESM file and its source map, the AWS SDK inside', () => {
    expect(msk.result.functions.map((f) => f.name)).toEqual([
      'generator',
      'prefix',
      'word-count',
      'word-split',
      'word-total',
    ]);
    for (const fn of msk.result.functions) {
      expect(fn.entries.map((e) => e.name).sort()).toEqual([
        `functions/${fn.name}.mjs`,
        `functions/${fn.name}.mjs.map`,
      ]);
      // A sanity bound, not a budget: the SDK clients, kafkajs and Sluice are ~0.6 MiB minified.
      expect(fn.zipBytes).toBeLessThan(5 * 1024 * 1024);
    }
  });
});

describe('serverless.self-managed.yml (SASL/SCRAM)', () => {
  it('maps each function to a self-managed Kafka trigger authenticated with the secret', () => {
    const t = selfManaged.template;
    for (const [name, id] of Object.entries(FUNCTIONS)) {
      const properties = mappingOf(t, id).Properties;
      expect(properties.SelfManagedEventSource.Endpoints.KafkaBootstrapServers, name).toEqual([
        'kafka-1.example.com:9096',
        'kafka-2.example.com:9096',
      ]);
      expect(properties.SourceAccessConfigurations, name).toEqual([
        { Type: 'SASL_SCRAM_512_AUTH', URI: SECRET },
      ]);
      expect(properties.SelfManagedKafkaEventSourceConfig.ConsumerGroupId, name).toBe(`sluice-${name}`);
      expect(properties).not.toHaveProperty('EventSourceArn');
      const env = t.Resources[id]!.Properties.Environment.Variables;
      expect(env, name).toMatchObject({
        SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        SLUICE_KAFKA_SECRET_ARN: SECRET,
        SLUICE_KAFKA_TLS: 'true',
      });
      expect(evaluate(env.SLUICE_KAFKA_BROKERS)).toBe('kafka-1.example.com:9096,kafka-2.example.com:9096');
    }
    expect(mappingOf(t, FUNCTIONS['word-count']).Properties).toMatchObject({
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'kafka://word-count-failures' } },
    });
  });

  it('reads the SCRAM secret and nothing else from Secrets Manager; no MSK IAM actions', () => {
    const statements = iamStatements(selfManaged.template);
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.length).toBeGreaterThan(0);
    for (const statement of secrets) {
      expect(actionsOf(statement)).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesOf(statement)).toEqual([SECRET]);
    }
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('kafka-cluster:'))).toEqual([]);
  });
});

describe('cfn-lint', () => {
  it('finds no error in either packaged template nor in infra/cloudformation/*.yml', async () => {
    const templates = [
      msk.result.template,
      selfManaged.result.template,
      ...(await cloudFormationFragments()),
    ];
    expect(templates.length).toBeGreaterThanOrEqual(4);
    const { errors, findings } = await cfnLint(templates);
    expect(errors, formatFindings(findings)).toEqual([]);
  });
});

describe('serverless-sluice plugin in a real packaging', () => {
  it('refuses an unknown error-handling key with a message naming it', async () => {
    // osls wants the config inside the service directory: a throwaway copy with one typo.
    const config = `serverless.test-${randomUUID()}.yml`;
    const source = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(REPO_ROOT, 'serverless.yml'), 'utf8'),
    );
    const broken = source.replace(
      '        maximumRetryAttempts: 5\n',
      '        maximumRetryAttempts: 5\n        retries: 3\n',
    );
    expect(broken).not.toBe(source);
    await writeFile(join(REPO_ROOT, config), broken);
    try {
      await expect(
        packageService({
          config,
          out: join(msk.result.out, 'broken'),
          workFolder: `.esbuild/test-${randomUUID()}`,
        }),
      ).rejects.toThrow(
        /custom\.sluice\.functions\.word-count\.retries is not a Sluice option; allowed: maximumRetryAttempts/,
      );
    } finally {
      await rm(join(REPO_ROOT, config), { force: true });
    }
  });
});

describe('docs/deploy.md: the optional CloudWatch alarm on time lag', () => {
  it('packages into an alarm on the TimeLag metric Sluice emits, and cfn-lint finds no error', async () => {
    const { readFile } = await import('node:fs/promises');
    const guide = await readFile(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const snippet = /```yaml\n(resources:\n[\s\S]*?WordCountTimeLagAlarm[\s\S]*?)```/.exec(guide)?.[1];
    expect(snippet, 'the alarm snippet in docs/deploy.md').toBeDefined();
    const source = await readFile(join(REPO_ROOT, 'serverless.yml'), 'utf8');
    // The guide's `resources:` (the stack's files plus the alarm) in place of serverless.yml's.
    const withAlarm = source.replace(/^resources:\n(?: {2}- .*\n)+/m, snippet!);
    expect(withAlarm).not.toBe(source);
    const config = `serverless.test-${randomUUID()}.yml`;
    await writeFile(join(REPO_ROOT, config), withAlarm);
    try {
      const { result, template } = await packageToTemp({ config });
      cleanup.push(result.out);
      const [[, alarm]] = resourcesOfType(template, 'AWS::CloudWatch::Alarm') as [[string, Resource]];
      expect(alarm.Properties).toMatchObject({
        Namespace: 'Sluice',
        MetricName: 'TimeLag',
        Dimensions: [
          { Name: 'function', Value: 'word-count' },
          { Name: 'partition', Value: '0' },
        ],
      });
      expect(Object.keys(BATCH_METRICS)).toContain(alarm.Properties.MetricName);
      expect(resourcesOfType(template, 'AWS::DynamoDB::Table')).toHaveLength(1);
      const { errors, findings } = await cfnLint([result.template]);
      expect(errors, formatFindings(findings)).toEqual([]);
    } finally {
      await rm(join(REPO_ROOT, config), { force: true });
    }
  });
});
