// biome-ignore-all lint/suspicious/noTemplateCurlyInString: serverless.yml variables, not JavaScript templates
/**
 * serverless.yml values from variables, read by osls and by the emulator from the same files.
 * `${env:...}`, `${param:...}` and `${opt:...}` resolve to strings; osls validates with AJV
 * `coerceTypes: 'array'` and deploys the coerced values. Each file here is packaged by osls
 * (offline, no plugins but Sluice's) and parsed by the emulator (tools/trigger/serverless-config):
 * what osls accepts, the emulator reads as the same numbers and booleans the template holds;
 * what osls rejects, the emulator rejects too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { capture } from '../../../infra/local/process';
import { offlineEnv } from '../../../infra/package';
import { ConfigError } from '../../../lib/core/errors';
import { parseServerlessConfig, type ServerlessConfig } from '../../../tools/trigger/serverless-config';
import { mappingOf, type Template } from './template';

const REPO = resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const OSLS = join(dirname(require.resolve('osls/package.json')), 'bin', 'serverless.js');
const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/c/00000000-0000-0000-0000-000000000000-1';

type Outcome = { ok: true; template: Template } | { ok: false; error: string };

/** `sls package` of `yml` in a fresh directory with `vars` in the environment. */
async function osls(yml: string, vars: Record<string, string>): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-coerce-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'serverless.yml'), yml);
  writeFileSync(join(dir, 'handler.js'), 'export const handler = async () => {};\n');
  writeFileSync(
    join(dir, 'serverless-sluice.cjs'),
    readFileSync(join(REPO, 'infra', 'serverless-sluice.cjs')),
  );
  const out = join(dir, 'out');
  const run = await capture(
    process.execPath,
    [OSLS, 'package', '--package', out],
    { ...offlineEnv(), ...vars },
    dir,
  );
  if (run.code !== 0) return { ok: false, error: `${run.stdout}\n${run.stderr}` };
  return {
    ok: true,
    template: JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')),
  };
}

function emulator(
  yml: string,
  vars: Record<string, string>,
): { ok: true; config: ServerlessConfig } | { ok: false; error: string } {
  try {
    return { ok: true, config: parseServerlessConfig(yml, { env: vars, dir: '/tmp' }) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, error: error.message };
  }
}

function service(functions: string, extra = ''): string {
  return `service: coerce
frameworkVersion: '*'
provider:
  name: aws
  runtime: nodejs22.x
  region: us-east-1
${extra}functions:
${functions}`;
}

const msk = (name: string, settings: string, fnExtra = '') => `  ${name}:
    handler: handler.handler
${fnExtra}    events:
      - msk:
          arn: ${ARN}
          topic: ${name}-topic
          consumerGroupId: group-${name}
${settings
  .trim()
  .split('\n')
  .map((line) => `          ${line.trim()}`)
  .join('\n')}
`;

describe('values from variables: osls and the emulator agree', () => {
  it('reads what osls coerces as the values osls deploys', async () => {
    const vars = {
      BATCH: '309',
      WINDOW: ' 2 ',
      ENABLED: 'true',
      DISABLED: 'false',
      POSITION: 'LATEST',
      TIMESTAMP: '1700000000',
      BATCH_EXP: '1e3',
      TIMEOUT: '20',
      RESERVED: '3',
    };
    const yml = service(
      msk(
        'fromEnv',
        'batchSize: ${env:BATCH}\nmaximumBatchingWindow: ${env:WINDOW}\nenabled: ${env:ENABLED}\nstartingPosition: ${env:POSITION}',
      ) +
        msk('oneElementList', 'batchSize: [25]\nmaximumBatchingWindow: "0"') +
        msk(
          'atTimestamp',
          'startingPosition: AT_TIMESTAMP\nstartingPositionTimestamp: ${env:TIMESTAMP}\nbatchSize: ${env:BATCH_EXP}',
        ) +
        msk(
          'withLimits',
          'batchSize: 10',
          '    timeout: ${env:TIMEOUT}\n    reservedConcurrency: ${env:RESERVED}\n',
        ) +
        msk('disabled', 'enabled: ${env:DISABLED}'),
    );
    const [packaged, parsed] = [await osls(yml, vars), emulator(yml, vars)];
    expect(packaged.ok, packaged.ok ? '' : packaged.error).toBe(true);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    if (!packaged.ok || !parsed.ok) return;

    const byName = new Map(parsed.config.functions.map((fn) => [fn.name, fn]));
    for (const name of ['fromEnv', 'oneElementList', 'atTimestamp', 'withLimits']) {
      const logicalId = `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`;
      const mapping = mappingOf(packaged.template, logicalId).Properties;
      const trigger = byName.get(name)?.triggers[0];
      expect(trigger, name).toBeDefined();
      expect(
        {
          batchSize: trigger!.batchSize,
          window: trigger!.maximumBatchingWindowMs / 1000,
          position: trigger!.startingPosition,
          timestamp:
            trigger!.startingPositionTimestampMs === undefined
              ? undefined
              : trigger!.startingPositionTimestampMs / 1000,
          topic: trigger!.topic,
          group: trigger!.consumerGroupId,
        },
        name,
      ).toEqual({
        batchSize: mapping.BatchSize ?? 100,
        window: mapping.MaximumBatchingWindowInSeconds ?? 0.5,
        position: mapping.StartingPosition,
        timestamp: mapping.StartingPositionTimestamp,
        topic: mapping.Topics[0],
        group: mapping.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId,
      });
    }
    expect(byName.get('fromEnv')?.triggers[0]?.batchSize).toBe(309);
    expect(byName.get('atTimestamp')?.triggers[0]?.batchSize).toBe(1000);

    const lambda = packaged.template.Resources.WithLimitsLambdaFunction!.Properties;
    expect([byName.get('withLimits')?.timeoutMs, byName.get('withLimits')?.maxConcurrency]).toEqual([
      lambda.Timeout * 1000,
      lambda.ReservedConcurrentExecutions,
    ]);
    // enabled: "false" deploys a disabled mapping; the emulator does not consume it.
    expect(mappingOf(packaged.template, 'DisabledLambdaFunction').Properties.Enabled).toBe(false);
    expect(byName.has('disabled')).toBe(false);
  }, 60_000);

  const rejected: Array<[string, string, Record<string, string>, string?]> = [
    ['a batchSize that is not a number', 'batchSize: ${env:BATCH}', { BATCH: 'abc' }],
    ['an empty batchSize', 'batchSize: ${env:BATCH}', { BATCH: '' }],
    ['a batchSize over 10000', 'batchSize: ${env:BATCH}', { BATCH: '20000' }],
    ['a batching window over 300 s', 'maximumBatchingWindow: ${env:WINDOW}', { WINDOW: '301' }],
    ['enabled that is not a boolean', 'enabled: ${env:ENABLED}', { ENABLED: 'yes' }],
    ['an unknown starting position', 'startingPosition: ${env:POSITION}', { POSITION: 'EARLIEST' }],
    ['a timeout of 1.5 s', 'batchSize: 1', { TIMEOUT: '1.5' }, '    timeout: ${env:TIMEOUT}\n'],
    ['a list of two batch sizes', 'batchSize: [1, 2]', {}],
  ];

  it.each(rejected)(
    'rejects %s, as osls does',
    async (_, settings, vars, fnExtra) => {
      const yml = service(msk('fn', settings, fnExtra));
      const [packaged, parsed] = [await osls(yml, vars), emulator(yml, vars)];
      expect(packaged.ok, 'osls accepted it').toBe(false);
      expect(packaged.ok ? '' : packaged.error).toContain('Configuration error');
      expect(parsed.ok, 'the emulator accepted it').toBe(false);
      expect(parsed.ok ? '' : parsed.error).toMatch(/^functions\.fn\./);
    },
    60_000,
  );

  it("rejects custom.sluice values from variables, as Sluice's plugin does (osls does not coerce them)", async () => {
    const vars = { RETRIES: '3' };
    const yml = service(
      msk('fn', 'batchSize: 1'),
      `plugins:\n  - ./serverless-sluice.cjs\ncustom:\n  sluice:\n    functions:\n      fn:\n        maximumRetryAttempts: \${env:RETRIES}\n`,
    );
    const [packaged, parsed] = [await osls(yml, vars), emulator(yml, vars)];
    expect(packaged.ok ? '' : packaged.error).toContain(
      'maximumRetryAttempts must be -1 (infinite) or an integer',
    );
    expect(parsed.ok ? '' : parsed.error).toContain(
      'maximumRetryAttempts must be an integer from -1 to 10000, got "3"',
    );
  }, 60_000);
});
