import { describe, expect, it } from 'vitest';
import { configFromEnv, configToEnv, nearest, unknownVariables } from '../../../lib/core/config';
import { ConfigError } from '../../../lib/core/errors';

const LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'word-count', SLUICE_NAMESPACE: 'svc-dev' };
const AWS_STORE = { SLUICE_TABLE: 'checkpoints', SLUICE_BUCKET: 'state' };

function errorOf(env: Record<string, string>, overrides = {}): ConfigError {
  try {
    configFromEnv(env, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configFromEnv: defaults', () => {
  it('off Lambda: file store, local namespace, info logs, no partial batch responses, no Kafka, no metrics', () => {
    expect(configFromEnv({})).toEqual({
      onLambda: false,
      namespace: 'local',
      store: { kind: 'file', dir: '.sluice/checkpoints' },
      logLevel: 'info',
      reportBatchItemFailures: false,
      metrics: { enabled: false, namespace: 'Sluice' },
    });
  });

  it('on Lambda: the aws store, and the namespace is required', () => {
    expect(configFromEnv({ ...LAMBDA, ...AWS_STORE })).toMatchObject({
      onLambda: true,
      namespace: 'svc-dev',
      store: { kind: 'aws', table: 'checkpoints', bucket: 'state' },
      metrics: { enabled: true, namespace: 'Sluice' },
    });
    expect(errorOf({ AWS_LAMBDA_FUNCTION_NAME: 'f', ...AWS_STORE }).message).toMatch(
      /SLUICE_NAMESPACE is not set: the sluice serverless plugin sets it/,
    );
  });

  it('ignores variables that are not SLUICE_* and the ones the tools read', () => {
    expect(() =>
      configFromEnv({
        PATH: '/bin',
        SLUICE_KAFKA_PORT: '49092',
        SLUICE_STACK_DIR: '/x',
        SLUICE_CHILD_BUNDLE: 'b',
      }),
    ).not.toThrow();
  });
});

describe('configFromEnv: unknown variables', () => {
  it.each([
    ['SLUICE_STOR', 'SLUICE_STORE'],
    ['SLUICE_TABEL', 'SLUICE_TABLE'],
    ['SLUICE_KAFKA_BROKER', 'SLUICE_KAFKA_BROKERS'],
    ['SLUICE_REPORT_BATCH_ITEM_FAILURE', 'SLUICE_REPORT_BATCH_ITEM_FAILURES'],
    ['SLUICE_NAMESPAСE', 'SLUICE_NAMESPACE'], // a Cyrillic С
    ['SLUICE_KAFKA_BOOTSTRAP_SERVERS', 'SLUICE_KAFKA_BROKERS'],
    ['SLUICE_KAFKA_SSL', 'SLUICE_KAFKA_TLS'],
  ])('rejects %s, suggesting %s', (wrong, right) => {
    expect(errorOf({ [wrong]: 'x' }).message).toContain(
      `${wrong} is not a Sluice setting: did you mean ${right}?`,
    );
  });

  it('suggests nothing for a name close to none, and still lists the settings', () => {
    const message = errorOf({ SLUICE_WHATEVER_THIS_IS: '1' }).message;
    expect(message).toMatch(/^SLUICE_WHATEVER_THIS_IS is not a Sluice setting Rename or unset it/);
    expect(message).toContain('SLUICE_STORE, SLUICE_STORE_DIR');
  });

  it('reports every unknown variable at once', () => {
    expect(unknownVariables({ SLUICE_A: '1', SLUICE_B: '2', OTHER: '3' })).toHaveLength(2);
  });

  it('nearest() only answers for plausible typos', () => {
    expect(nearest('SLUICE_LOGLEVEL', ['SLUICE_LOG_LEVEL', 'SLUICE_STORE'])).toBe('SLUICE_LOG_LEVEL');
    expect(nearest('SLUICE_ZZZZZZZZ', ['SLUICE_LOG_LEVEL', 'SLUICE_STORE'])).toBeUndefined();
  });
});

describe('configFromEnv: booleans', () => {
  it('accepts exactly true and false', () => {
    expect(configFromEnv({ SLUICE_REPORT_BATCH_ITEM_FAILURES: 'true' }).reportBatchItemFailures).toBe(true);
    expect(configFromEnv({ SLUICE_REPORT_BATCH_ITEM_FAILURES: 'false' }).reportBatchItemFailures).toBe(false);
    expect(configFromEnv({ SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_TLS: 'true' }).kafka?.ssl).toBe(true);
  });

  it.each(['TRUE', 'True', '1', '0', 'yes', 'on', ' true'])(
    'rejects %j, naming the variable and the spellings',
    (spelling) => {
      expect(errorOf({ SLUICE_REPORT_BATCH_ITEM_FAILURES: spelling }).message).toBe(
        `SLUICE_REPORT_BATCH_ITEM_FAILURES must be true or false (lower case), got ${JSON.stringify(spelling)}: set it to one of those`,
      );
      expect(errorOf({ SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_TLS: spelling }).message).toMatch(
        /^SLUICE_KAFKA_TLS must be true or false/,
      );
    },
  );
});

describe('configFromEnv: cross-field rules', () => {
  it('the aws store needs a table and a bucket (both reported)', () => {
    const message = errorOf({ SLUICE_STORE: 'aws' }).message;
    expect(message).toMatch(/SLUICE_TABLE is not set: the aws store needs it/);
    expect(message).toMatch(/SLUICE_BUCKET is not set: the aws store needs it/);
  });

  it.each(['file', 'memory'])('refuses the %s store on Lambda', (kind) => {
    expect(errorOf({ ...LAMBDA, SLUICE_STORE: kind }).message).toMatch(
      `SLUICE_STORE=${kind} on Lambda would lose checkpoints with the instance; use SLUICE_STORE=aws`,
    );
  });

  it('SASL needs its secret, IAM needs TLS', () => {
    expect(
      errorOf({ SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512' }).message,
    ).toMatch(/needs credentials: set SLUICE_KAFKA_SECRET_ARN/);
    expect(
      errorOf({
        SLUICE_KAFKA_BROKERS: 'a:1',
        SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam',
        SLUICE_KAFKA_TLS: 'false',
        AWS_REGION: 'eu-west-1',
      }).message,
    ).toMatch(/only runs over TLS/);
  });

  it('collects every problem into one error', () => {
    const message = errorOf({ SLUICE_STORE: 'redis', SLUICE_LOG_LEVEL: 'loud' }).message;
    expect(message.split('\n')).toHaveLength(2);
  });

  it('rejects a bad namespace and log level, naming the variable', () => {
    expect(errorOf({ SLUICE_NAMESPACE: 'a.b' }).message).toMatch(/^SLUICE_NAMESPACE must be 1-96 letters/);
    expect(errorOf({ SLUICE_LOG_LEVEL: 'loud' }).message).toBe(
      'SLUICE_LOG_LEVEL must be one of debug, info, warn, error, silent, got "loud"',
    );
  });
});

describe('configFromEnv: overrides (the CLI flags)', () => {
  it('win over the environment, and errors name the flag', () => {
    const config = configFromEnv(
      { SLUICE_STORE: 'aws', SLUICE_KAFKA_BROKERS: 'env:1' },
      {
        SLUICE_STORE: { value: 'memory', from: '--store' },
        SLUICE_KAFKA_BROKERS: { value: 'flag:2', from: '--bootstrap.servers' },
      },
    );
    expect(config.store).toEqual({ kind: 'memory' });
    expect(config.kafka?.brokers).toEqual(['flag:2']);
    expect(errorOf({}, { SLUICE_STORE: { value: 'redis', from: '--store' } }).message).toBe(
      '--store must be one of memory, file, aws, got "redis"',
    );
  });
});

describe('configToEnv', () => {
  it('gives back variables that build the same configuration', () => {
    const config = configFromEnv({
      SLUICE_STORE: 'aws',
      ...AWS_STORE,
      SLUICE_NAMESPACE: 'svc-dev',
      SLUICE_KAFKA_BROKERS: 'a:1,b:2',
      SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SLUICE_KAFKA_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
      SLUICE_REPORT_BATCH_ITEM_FAILURES: 'true',
    });
    const env = Object.fromEntries(Object.entries(configToEnv(config)).filter(([, v]) => v !== undefined));
    expect(configFromEnv(env as Record<string, string>)).toEqual(config);
  });
});
