/**
 * The files `sluice init` writes: a project of its own that installs Sluice as a package
 * (`sluice`, `sluice/testing`, `sluice/serverless-plugin`) and deploys one function to Lambda.
 */

export interface ProjectSpec {
  /** package name of the new project */
  project: string;
  /** the function's name (serverless.yml key and defineFunction name) */
  fn: string;
  /** the Kafka topic it reads */
  topic: string;
  /** what `dependencies.sluice` says: a version, or `file:<tarball>` */
  sluice: string;
  /** exact versions of the tools the project needs, the ones Sluice itself is tested with */
  versions: Record<DevTool, string>;
}

export const DEV_TOOLS = [
  '@types/node',
  'esbuild',
  'osls',
  'serverless-esbuild',
  'typescript',
  'vitest',
] as const;
export type DevTool = (typeof DEV_TOOLS)[number];

/** Relative path → contents. */
export function projectFiles(spec: ProjectSpec): Record<string, string> {
  return {
    'package.json': packageJson(spec),
    'tsconfig.json': TSCONFIG,
    '.gitignore': 'node_modules/\n.serverless/\n.esbuild/\n.sluice/\n',
    'serverless.yml': serverlessYml(spec),
    [`functions/${spec.fn}.ts`]: functionTs(spec),
    [`test/${spec.fn}.test.ts`]: testTs(spec),
    'README.md': readme(spec),
  };
}

function packageJson(spec: ProjectSpec): string {
  const pkg = {
    name: spec.project,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'tsc --noEmit && vitest run',
      invoke: 'sluice invoke',
      dev: 'sluice dev',
    },
    dependencies: { sluice: spec.sluice },
    devDependencies: Object.fromEntries(DEV_TOOLS.map((tool) => [tool, spec.versions[tool]])),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['functions', 'test'],
  },
  null,
  2,
)}\n`;

function functionTs({ fn, topic }: ProjectSpec): string {
  return `import { defineFunction, logSink, serde, state } from 'sluice';

/**
 * Reads \`${topic}\`, counts each distinct value (per partition, exactly once) and prints the
 * running count. \`process\` may run again for the same records after a crash: keep it
 * deterministic given (records, state), with no clocks, randomness or external writes.
 */
export const handler = defineFunction({
  name: '${fn}',
  source: { topic: '${topic}', value: serde.string() },
  state: { seen: state.map<number>() },
  sinks: { out: logSink() },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      const count = (state.seen.get(record.value) ?? 0) + 1;
      state.seen.set(record.value, count);
      emit.out({ value: \`\${record.value}: \${count}\` });
    }
  },
});
`;
}

function testTs({ fn }: ProjectSpec): string {
  return `import { createHarness } from 'sluice/testing';
import { describe, expect, it } from 'vitest';
import { handler } from '../functions/${fn}';

describe('${fn}', () => {
  it('counts each value once, even when Lambda retries after a crash', async () => {
    const h = createHarness(handler);
    await h.invoke([{ value: 'a' }, { value: 'b' }, { value: 'a' }]);
    expect(await h.state(0)).toEqual({ 'seen/a': 2, 'seen/b': 1 });

    h.failAt('after-commit'); // crash after the commit, before the outputs are published
    await expect(h.invoke([{ value: 'a' }])).rejects.toThrow('injected fault at after-commit');
    await h.crash(); // cold start: warm state is gone
    await h.retry(); // Lambda redelivers the same event
    expect(await h.state(0)).toEqual({ 'seen/a': 3, 'seen/b': 1 }); // applied once
  });
});
`;
}

function serverlessYml({ project, fn, topic }: ProjectSpec): string {
  return `# ${project}: a Sluice function on AWS Lambda + Amazon MSK (IAM access control).
#
#   npx sls package                        # the deployment artifacts, offline
#   npx sls deploy --param="mskClusterArn=arn:aws:kafka:..." --param="kafkaBrokers=b-1...:9098" \\
#     --param="subnetIds=subnet-a,subnet-b" --param="securityGroupIds=sg-a"
#
# The defaults below only let \`sls package\` run offline; a deploy must pass real values.
service: ${project}
frameworkVersion: "*"

params:
  default:
    mskClusterArn: arn:aws:kafka:us-east-1:123456789012:cluster/demo/00000000-0000-0000-0000-000000000000-1
    kafkaBrokers: b-1.demo.abc123.c1.kafka.us-east-1.amazonaws.com:9098
    subnetIds: subnet-0123456789abcdef0
    securityGroupIds: sg-0123456789abcdef0

plugins:
  - serverless-esbuild
  # SLUICE_NAMESPACE per stage, the scheduled outbox flush, Kafka error handling (custom.sluice).
  - sluice/serverless-plugin

custom:
  mskArnParts: &msk
    ArnPrefix: { "Fn::Select": [0, { "Fn::Split": [":cluster/", "\${param:mskClusterArn}"] }] }
    ClusterPath: { "Fn::Select": [1, { "Fn::Split": [":cluster/", "\${param:mskClusterArn}"] }] }
  esbuild:
    bundle: true
    minify: true
    # Sluice names its errors after their class: keep names through minify.
    keepNames: true
    sourcemap: true
    sourcesContent: false
    format: esm
    outputFileExtension: .mjs
    platform: node
    target: node22
    mainFields: [module, main]
    # kafkajs and the AWS SDK's CommonJS parts call require(): give the ESM bundle one.
    banner:
      js: "import { createRequire as __sluiceCreateRequire } from 'node:module'; const require = __sluiceCreateRequire(import.meta.url);"
    # Everything is bundled, the AWS SDK included (Sluice needs a newer one than the runtime's).
    exclude: []
    external: []

provider:
  name: aws
  runtime: nodejs22.x
  architecture: arm64
  stage: \${opt:stage, 'dev'}
  region: \${opt:region, 'us-east-1'}
  memorySize: 512
  timeout: 120
  vpc:
    subnetIds:
      Fn::Split: [",", "\${param:subnetIds}"]
    securityGroupIds:
      Fn::Split: [",", "\${param:securityGroupIds}"]
  environment:
    SLUICE_STORE: aws
    SLUICE_TABLE: { Ref: CheckpointTable }
    SLUICE_BUCKET: { Ref: StateBucket }
    SLUICE_KAFKA_BROKERS: \${param:kafkaBrokers}
    SLUICE_KAFKA_SASL_MECHANISM: aws-iam
    NODE_OPTIONS: --enable-source-maps
  iam:
    role:
      statements:
        - \${file(node_modules/sluice/infra/serverless/store-iam.yml):checkpoints}
        - \${file(node_modules/sluice/infra/serverless/store-iam.yml):stateObjects}
        - \${file(node_modules/sluice/infra/serverless/store-iam.yml):stateList}
        - Effect: Allow
          Action: [kafka:DescribeClusterV2, kafka:GetBootstrapBrokers, kafka-cluster:Connect, kafka-cluster:DescribeCluster]
          Resource: "\${param:mskClusterArn}"
        - Effect: Allow
          Action: [kafka-cluster:DescribeTopic, kafka-cluster:ReadData]
          Resource:
            - Fn::Sub: ["\${ArnPrefix}:topic/\${ClusterPath}/${topic}", *msk]
        - Effect: Allow
          Action: [kafka-cluster:DescribeGroup, kafka-cluster:AlterGroup]
          Resource:
            - Fn::Sub: ["\${ArnPrefix}:group/\${ClusterPath}/${project}-${fn}", *msk]

package:
  individually: true

functions:
  ${fn}:
    handler: functions/${fn}.handler
    events:
      - msk:
          arn: \${param:mskClusterArn}
          topic: ${topic}
          consumerGroupId: ${project}-${fn}
          startingPosition: TRIM_HORIZON
          batchSize: 100
          enabled: true

resources:
  - \${file(node_modules/sluice/infra/cloudformation/checkpoint-table.yml)}
  - \${file(node_modules/sluice/infra/cloudformation/state-bucket.yml)}
`;
}

function readme({ project, fn, topic }: ProjectSpec): string {
  return `# ${project}

A [Sluice](https://github.com/) function: exactly-once, stateful Kafka processing on AWS Lambda.
\`functions/${fn}.ts\` reads \`${topic}\`, counts each distinct value per partition and prints the
running count.

\`\`\`sh
npm install
npm test                     # typecheck + the harness test (test/${fn}.test.ts): crash, retry, applied once
echo '{"value": "hello"}' | npx sluice invoke ${fn} --records -   # one invocation, real handler and event JSON
\`\`\`

- \`sluice/testing\`'s \`createHarness\` invokes the function as Lambda does, with a crash injectable
  at every protocol step (\`after-load\`, \`after-flush\`, \`after-process\`, \`after-commit\`,
  \`mid-publish\`, \`after-publish\`).
- \`npx sluice dev\` runs it against a real broker through the local trigger emulator
  (\`SLUICE_KAFKA_BROKERS\`, default 127.0.0.1:29092); \`npx sluice --help\` lists the rest.
- \`npx sls package\` builds the Lambda bundle offline; \`npx sls deploy --param=...\` deploys it with
  its checkpoint table and state bucket (see serverless.yml). The serverless plugin
  \`sluice/serverless-plugin\` sets the deployment namespace and schedules the outbox flush.
`;
}
