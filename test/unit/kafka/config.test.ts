import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../lib/core/config';
import { ConfigError } from '../../../lib/core/errors';
import type { KafkaAuthDeps } from '../../../lib/kafka/auth';
import { resolveSasl } from '../../../lib/kafka/auth';
import {
  describeKafkaConfig,
  type KafkaConfig,
  kafkaConfigOf,
  validateKafkaConfig,
} from '../../../lib/kafka/config';

/** The Kafka settings of the configuration the environment gives (lib/core/config.ts reads them). */
const kafkaConfigFromEnv = (env: Record<string, string>) => kafkaConfigOf(configFromEnv(env));

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_demo-AbCdEf';
const BROKERS = 'b-1.demo.kafka.eu-west-1.amazonaws.com:9096,b-2.demo.kafka.eu-west-1.amazonaws.com:9096';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('kafkaConfigFromEnv', () => {
  it('reads plaintext brokers for the local stack', () => {
    expect(kafkaConfigFromEnv({ SLUICE_KAFKA_BROKERS: '127.0.0.1:29092' })).toEqual({
      brokers: ['127.0.0.1:29092'],
      ssl: false,
    });
  });

  it('splits and trims a bootstrap list, including IPv6 literals', () => {
    expect(
      kafkaConfigFromEnv({ SLUICE_KAFKA_BROKERS: ' a.example:9092 , [::1]:9093,10.0.0.1:9094 ' }).brokers,
    ).toEqual(['a.example:9092', '[::1]:9093', '10.0.0.1:9094']);
  });

  it('reads SASL/SCRAM with a Secrets Manager secret and turns TLS on by default', () => {
    expect(
      kafkaConfigFromEnv({
        SLUICE_KAFKA_BROKERS: BROKERS,
        SLUICE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        SLUICE_KAFKA_SECRET_ARN: ARN,
      }),
    ).toEqual({
      brokers: BROKERS.split(','),
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', secretArn: ARN },
    });
  });

  it('lets SCRAM run without TLS when SLUICE_KAFKA_TLS=false (self-managed SASL_PLAINTEXT)', () => {
    const config = kafkaConfigFromEnv({
      SLUICE_KAFKA_BROKERS: 'kafka:9092',
      SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      SLUICE_KAFKA_SECRET_ARN: ARN,
      SLUICE_KAFKA_TLS: 'false',
    });
    expect(config.ssl).toBe(false);
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-256', secretArn: ARN });
  });

  it('reads MSK IAM with the region Lambda sets, else AWS_DEFAULT_REGION', () => {
    const base = { SLUICE_KAFKA_BROKERS: 'b-1.demo:9098', SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam' };
    expect(kafkaConfigFromEnv({ ...base, AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' })).toEqual(
      {
        brokers: ['b-1.demo:9098'],
        ssl: true,
        sasl: { mechanism: 'aws-iam', region: 'eu-west-1' },
      },
    );
    expect(kafkaConfigFromEnv({ ...base, AWS_DEFAULT_REGION: 'us-east-2' }).sasl).toEqual({
      mechanism: 'aws-iam',
      region: 'us-east-2',
    });
  });

  it('accepts TLS without SASL and a kafkajs log level', () => {
    expect(
      kafkaConfigFromEnv({
        SLUICE_KAFKA_BROKERS: 'k:9094',
        SLUICE_KAFKA_TLS: 'true',
        SLUICE_KAFKA_LOG_LEVEL: 'warn',
      }),
    ).toEqual({ brokers: ['k:9094'], ssl: true, logLevel: 'warn' });
  });

  it.each([
    ['no brokers', {}, /SLUICE_KAFKA_BROKERS is required: set it to the comma-separated host:port/],
    ['blank brokers', { SLUICE_KAFKA_BROKERS: '  ' }, /SLUICE_KAFKA_BROKERS is required/],
    ['a trailing comma', { SLUICE_KAFKA_BROKERS: 'a:1,' }, /empty broker entry/],
    ['a missing port', { SLUICE_KAFKA_BROKERS: 'localhost' }, /"localhost" is not host:port/],
    ['port 0', { SLUICE_KAFKA_BROKERS: 'localhost:0' }, /"localhost:0" is not host:port/],
    ['a port over 65535', { SLUICE_KAFKA_BROKERS: 'localhost:70000' }, /is not host:port/],
    ['a scheme', { SLUICE_KAFKA_BROKERS: 'SASL_SSL://b-1:9096' }, /has a scheme: give host:port only/],
    [
      'an unknown mechanism',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SASL_MECHANISM: 'plain' },
      /SLUICE_KAFKA_SASL_MECHANISM must be one of scram-sha-256, scram-sha-512, aws-iam, got "plain"/,
    ],
    [
      'SCRAM without a secret',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512' },
      /scram-sha-512 needs credentials: set SLUICE_KAFKA_SECRET_ARN/,
    ],
    [
      'a secret without a mechanism',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SECRET_ARN: ARN },
      /SLUICE_KAFKA_SECRET_ARN is set but SLUICE_KAFKA_SASL_MECHANISM is not/,
    ],
    [
      'a secret with IAM',
      {
        SLUICE_KAFKA_BROKERS: 'a:1',
        SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam',
        SLUICE_KAFKA_SECRET_ARN: ARN,
        AWS_REGION: 'x',
      },
      /aws-iam signs with IAM credentials, not a secret/,
    ],
    [
      'IAM without a region',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam' },
      /aws-iam needs the cluster region: set AWS_REGION/,
    ],
    [
      'IAM without TLS',
      {
        SLUICE_KAFKA_BROKERS: 'a:1',
        SLUICE_KAFKA_SASL_MECHANISM: 'aws-iam',
        AWS_REGION: 'x',
        SLUICE_KAFKA_TLS: 'false',
      },
      /MSK IAM authentication only runs over TLS/,
    ],
    [
      'a secret name instead of an ARN',
      {
        SLUICE_KAFKA_BROKERS: 'a:1',
        SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        SLUICE_KAFKA_SECRET_ARN: 'AmazonMSK_x',
      },
      /SLUICE_KAFKA_SECRET_ARN must be a Secrets Manager secret ARN/,
    ],
    [
      'a non-boolean TLS',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_TLS: 'yes please' },
      /SLUICE_KAFKA_TLS must be true or false/,
    ],
    ...['TRUE', '1', '0', 'yes'].map((spelling): [string, Record<string, string>, RegExp] => [
      `TLS spelled ${spelling}`,
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_TLS: spelling },
      /SLUICE_KAFKA_TLS must be true or false \(lower case\)/,
    ]),
    [
      'an unknown log level',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_LOG_LEVEL: 'loud' },
      /SLUICE_KAFKA_LOG_LEVEL must be/,
    ],
    [
      'a misnamed broker variable',
      { SLUICE_KAFKA_BOOTSTRAP_SERVERS: 'a:1' },
      /SLUICE_KAFKA_BOOTSTRAP_SERVERS is not a Sluice setting: did you mean SLUICE_KAFKA_BROKERS/,
    ],
    [
      'SSL instead of TLS, even with valid brokers',
      { SLUICE_KAFKA_BROKERS: 'a:1', SLUICE_KAFKA_SSL: 'true' },
      /did you mean SLUICE_KAFKA_TLS/,
    ],
  ])('rejects %s', (_, env, message) => {
    expect(configError(() => kafkaConfigFromEnv(env)).message).toMatch(message);
  });
});

describe('validateKafkaConfig', () => {
  const ok: KafkaConfig = { brokers: ['127.0.0.1:29092'] };

  it('returns a valid config unchanged', () => {
    const scram: KafkaConfig = {
      ...ok,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    };
    expect(validateKafkaConfig(scram)).toBe(scram);
    expect(validateKafkaConfig({ ...ok, ssl: { rejectUnauthorized: false } })).toBeTruthy();
  });

  it.each([
    [
      'an unknown key',
      { ...ok, broker: 'x' },
      /unknown option "broker"; allowed: brokers, clientId, ssl, sasl, logLevel/,
    ],
    ['no brokers', { brokers: [] }, /brokers is required/],
    ['a bad broker', { brokers: ['nope'] }, /"nope" is not host:port/],
    ['an unknown mechanism', { ...ok, sasl: { mechanism: 'plain' } }, /sasl.mechanism must be one of/],
    [
      'SCRAM without a password',
      { ...ok, sasl: { mechanism: 'scram-sha-256', username: 'u' } },
      /needs username and password/,
    ],
    [
      'SCRAM mixing a secret and a password',
      { ...ok, sasl: { mechanism: 'scram-sha-512', secretArn: ARN, password: 'p' } },
      /unknown option "password"/,
    ],
    ['IAM without region', { ...ok, sasl: { mechanism: 'aws-iam' } }, /sasl.region is required/],
    [
      'IAM with ssl: false',
      { ...ok, ssl: false, sasl: { mechanism: 'aws-iam', region: 'x' } },
      /only runs over TLS/,
    ],
    ['an empty clientId', { ...ok, clientId: '' }, /clientId must be a non-empty string/],
  ])('rejects %s', (_, config, message) => {
    expect(configError(() => validateKafkaConfig(config as KafkaConfig)).message).toMatch(message);
  });

  it('masks the password when described for logs', () => {
    const described = describeKafkaConfig({
      ...ok,
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'hunter2' },
    });
    expect(JSON.stringify(described)).not.toContain('hunter2');
    expect(described.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: '***' });
  });
});

describe('resolveSasl', () => {
  const deps = (secret: string | Error, tokens: string[] = []): KafkaAuthDeps & { iamCalls: number } => {
    const fake = {
      iamCalls: 0,
      async getSecretString(arn: string) {
        expect(arn).toBe(ARN);
        if (secret instanceof Error) throw secret;
        return secret;
      },
      async generateIamToken(region: string) {
        expect(region).toBe('eu-west-1');
        fake.iamCalls++;
        return { token: tokens.shift() ?? 'none', expiryTime: Date.now() + 15 * 60_000 };
      },
    };
    return fake;
  };

  it('reads SCRAM credentials from the secret, as Lambda stores them', async () => {
    const sasl = await resolveSasl(
      { mechanism: 'scram-sha-512', secretArn: ARN },
      deps('{"username":"alice","password":"hunter2"}'),
    );
    expect(sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 'hunter2' });
  });

  it.each([
    ['not JSON', 'hunter2', /is not JSON: store \{"username"/],
    [
      'without a password',
      '{"username":"alice","pass":"hunter2"}',
      /must hold \{"username":"…","password":"…"\}/,
    ],
  ])('rejects a secret %s without echoing it', async (_, secret, message) => {
    const error = await resolveSasl({ mechanism: 'scram-sha-512', secretArn: ARN }, deps(secret)).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });

  it('says which permission to grant when the secret cannot be read', async () => {
    const denied = Object.assign(
      new Error('User is not authorized to perform: secretsmanager:GetSecretValue'),
      {
        name: 'AccessDeniedException',
      },
    );
    const error = await resolveSasl({ mechanism: 'scram-sha-256', secretArn: ARN }, deps(denied)).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /cannot read the Kafka SASL\/SCRAM secret .*SLUICE_KAFKA_SECRET_ARN.*GetSecretValue/,
    );
  });

  it('signs MSK IAM tokens through an OAUTHBEARER provider, reusing a token until near expiry', async () => {
    const fake = deps('', ['token-1', 'token-2']);
    const sasl = await resolveSasl({ mechanism: 'aws-iam', region: 'eu-west-1' }, fake);
    expect(sasl.mechanism).toBe('oauthbearer');
    const provider = (sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider;
    expect(fake.iamCalls).toBe(0);
    expect(await provider()).toEqual({ value: 'token-1' });
    expect(await provider()).toEqual({ value: 'token-1' });
    expect(fake.iamCalls).toBe(1);
  });
});
