import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../core/errors';

/**
 * How Sluice reaches Kafka. Credentials are never logged: `describeKafkaConfig` is the printable form.
 *
 * @example
 * // MSK with SASL/SCRAM, credentials in Secrets Manager (as Lambda's trigger uses them)
 * const config: KafkaConfig = {
 *   brokers: ['b-1.demo.kafka.us-east-1.amazonaws.com:9096'],
 *   ssl: true,
 *   sasl: { mechanism: 'scram-sha-512', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_demo' },
 * };
 */
export interface KafkaConfig {
  /** Bootstrap servers, `host:port` each. */
  brokers: string[];
  /** Default `sluice`. */
  clientId?: string;
  /** TLS: `true`, or Node TLS options (CA, client certificate for mTLS). */
  ssl?: boolean | ConnectionOptions;
  sasl?: KafkaSaslConfig;
  /** kafkajs log level, default `error` (kafkajs is chatty at info). */
  logLevel?: KafkaLogLevel;
}

export type ScramMechanism = 'scram-sha-256' | 'scram-sha-512';

export type KafkaSaslConfig =
  | { mechanism: ScramMechanism; username: string; password: string }
  /** A Secrets Manager secret holding `{"username": ..., "password": ...}`, the format Lambda's SASL/SCRAM uses. */
  | { mechanism: ScramMechanism; secretArn: string }
  /** MSK IAM access control: a SigV4 token from the default AWS credential chain. */
  | { mechanism: 'aws-iam'; region: string };

export const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;
export type KafkaLogLevel = (typeof KAFKA_LOG_LEVELS)[number];

const SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'aws-iam'] as const;
const CONFIG_KEYS = ['brokers', 'clientId', 'ssl', 'sasl', 'logLevel'];
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
/** host:port with a DNS name, IPv4 address or [IPv6] literal. */
const BROKER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** Variables people set by mistake for the ones read here; set alone, they would be ignored. */
const MISNAMED: Record<string, string> = {
  SLUICE_KAFKA_BROKER: 'SLUICE_KAFKA_BROKERS',
  SLUICE_KAFKA_BOOTSTRAP_SERVERS: 'SLUICE_KAFKA_BROKERS',
  SLUICE_KAFKA_BOOTSTRAP: 'SLUICE_KAFKA_BROKERS',
  SLUICE_KAFKA_SSL: 'SLUICE_KAFKA_TLS',
  SLUICE_KAFKA_SASL: 'SLUICE_KAFKA_SASL_MECHANISM',
  SLUICE_KAFKA_MECHANISM: 'SLUICE_KAFKA_SASL_MECHANISM',
  SLUICE_KAFKA_SECRET: 'SLUICE_KAFKA_SECRET_ARN',
  SLUICE_KAFKA_SASL_SECRET_ARN: 'SLUICE_KAFKA_SECRET_ARN',
};

/**
 * Reads the Kafka connection from the environment, once, at cold start:
 *
 * - `SLUICE_KAFKA_BROKERS` (required): comma-separated `host:port` bootstrap servers.
 * - `SLUICE_KAFKA_SASL_MECHANISM`: `scram-sha-512`, `scram-sha-256` or `aws-iam` (MSK IAM; region
 *   from `AWS_REGION`, which Lambda sets, or `AWS_DEFAULT_REGION`).
 * - `SLUICE_KAFKA_SECRET_ARN`: with a SCRAM mechanism (required then), the Secrets Manager secret
 *   holding `{"username","password"}`, like Lambda's SASL/SCRAM setting.
 * - `SLUICE_KAFKA_TLS`: `true`/`false`; default `true` when a SASL mechanism is set (MSK requires
 *   it for SCRAM and IAM), else `false`.
 * - `SLUICE_KAFKA_LOG_LEVEL`: kafkajs log level (`nothing|error|warn|info|debug`), default `error`.
 *
 * Throws a ConfigError naming the variable to fix.
 *
 * @example
 * const kafka = await createKafka(kafkaConfigFromEnv());
 */
export function kafkaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaConfig {
  for (const [wrong, right] of Object.entries(MISNAMED)) {
    if (env[wrong] !== undefined) {
      throw new ConfigError(
        `${wrong} is not a Sluice setting: did you mean ${right}? Rename it (it would be ignored)`,
      );
    }
  }
  const rawBrokers = env.SLUICE_KAFKA_BROKERS?.trim();
  if (!rawBrokers) {
    throw new ConfigError(
      'SLUICE_KAFKA_BROKERS is required: set it to the comma-separated host:port bootstrap servers ' +
        '(e.g. 127.0.0.1:29092 for the local stack, or the MSK bootstrap string)',
    );
  }
  const brokers = rawBrokers.split(',').map((broker) => broker.trim());
  for (const broker of brokers) checkBroker(broker, 'SLUICE_KAFKA_BROKERS');

  const rawMechanism = env.SLUICE_KAFKA_SASL_MECHANISM?.trim().toLowerCase() || undefined;
  if (rawMechanism !== undefined && !(SASL_MECHANISMS as readonly string[]).includes(rawMechanism)) {
    throw new ConfigError(
      `SLUICE_KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got ${JSON.stringify(env.SLUICE_KAFKA_SASL_MECHANISM)}`,
    );
  }
  const mechanism = rawMechanism as (typeof SASL_MECHANISMS)[number] | undefined;
  const secretArn = env.SLUICE_KAFKA_SECRET_ARN?.trim() || undefined;

  let sasl: KafkaSaslConfig | undefined;
  if (mechanism === 'aws-iam') {
    if (secretArn) {
      throw new ConfigError(
        'SLUICE_KAFKA_SECRET_ARN is set but SLUICE_KAFKA_SASL_MECHANISM=aws-iam signs with IAM credentials, ' +
          'not a secret: unset one of them (a secret goes with scram-sha-512)',
      );
    }
    const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
    if (!region) {
      throw new ConfigError(
        'SLUICE_KAFKA_SASL_MECHANISM=aws-iam needs the cluster region: set AWS_REGION (Lambda sets it for you)',
      );
    }
    sasl = { mechanism, region };
  } else if (mechanism !== undefined) {
    if (!secretArn) {
      throw new ConfigError(
        `SLUICE_KAFKA_SASL_MECHANISM=${mechanism} needs credentials: set SLUICE_KAFKA_SECRET_ARN to the ARN of a ` +
          'Secrets Manager secret holding {"username","password"} (the secret Lambda\'s SASL/SCRAM uses)',
      );
    }
    sasl = { mechanism, secretArn };
  } else if (secretArn) {
    throw new ConfigError(
      'SLUICE_KAFKA_SECRET_ARN is set but SLUICE_KAFKA_SASL_MECHANISM is not: set it to scram-sha-512 ' +
        '(Amazon MSK) or scram-sha-256',
    );
  }
  if (secretArn) checkSecretArn(secretArn, 'SLUICE_KAFKA_SECRET_ARN');

  const ssl = parseBoolean(env.SLUICE_KAFKA_TLS, 'SLUICE_KAFKA_TLS') ?? sasl !== undefined;
  if (!ssl && sasl?.mechanism === 'aws-iam') {
    throw new ConfigError(
      'SLUICE_KAFKA_TLS=false with SLUICE_KAFKA_SASL_MECHANISM=aws-iam: MSK IAM authentication only runs ' +
        'over TLS (port 9098); remove SLUICE_KAFKA_TLS',
    );
  }

  const rawLevel = env.SLUICE_KAFKA_LOG_LEVEL?.trim().toLowerCase() || undefined;
  if (rawLevel !== undefined && !(KAFKA_LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    throw new ConfigError(
      `SLUICE_KAFKA_LOG_LEVEL must be one of ${KAFKA_LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.SLUICE_KAFKA_LOG_LEVEL)}`,
    );
  }

  const config: KafkaConfig = { brokers, ssl };
  if (sasl) config.sasl = sasl;
  if (rawLevel) config.logLevel = rawLevel as KafkaLogLevel;
  return config;
}

/**
 * Checks a KafkaConfig built in code: unknown keys, broker syntax, SASL shape, TLS rules. Returns
 * it unchanged. `createKafka` calls it; call it yourself to fail earlier.
 */
export function validateKafkaConfig(config: KafkaConfig): KafkaConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('Kafka config must be an object');
  rejectUnknown('Kafka config', config, CONFIG_KEYS);
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) {
    throw new ConfigError(
      'Kafka config: brokers is required: a non-empty list of host:port (SLUICE_KAFKA_BROKERS)',
    );
  }
  for (const broker of config.brokers) checkBroker(broker, 'Kafka config brokers');
  if (config.clientId !== undefined && (typeof config.clientId !== 'string' || config.clientId === '')) {
    throw new ConfigError('Kafka config: clientId must be a non-empty string');
  }
  if (
    config.ssl !== undefined &&
    typeof config.ssl !== 'boolean' &&
    (typeof config.ssl !== 'object' || !config.ssl)
  ) {
    throw new ConfigError('Kafka config: ssl must be true, false or Node TLS options');
  }
  if (config.logLevel !== undefined && !KAFKA_LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError(`Kafka config: logLevel must be one of ${KAFKA_LOG_LEVELS.join(', ')}`);
  }
  const sasl = config.sasl as Record<string, unknown> | undefined;
  if (sasl === undefined) return config;
  if (typeof sasl !== 'object' || sasl === null)
    throw new ConfigError('Kafka config: sasl must be an object');
  const mechanism = sasl.mechanism;
  if (mechanism === 'aws-iam') {
    rejectUnknown('Kafka config sasl (aws-iam)', sasl, ['mechanism', 'region']);
    if (typeof sasl.region !== 'string' || sasl.region === '') {
      throw new ConfigError('Kafka config: sasl.region is required with aws-iam (the MSK cluster region)');
    }
    if (config.ssl === false) {
      throw new ConfigError('Kafka config: aws-iam authentication only runs over TLS: remove ssl: false');
    }
  } else if (mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    if ('secretArn' in sasl) {
      rejectUnknown(`Kafka config sasl (${mechanism})`, sasl, ['mechanism', 'secretArn']);
      checkSecretArn(sasl.secretArn, 'Kafka config sasl.secretArn');
    } else {
      rejectUnknown(`Kafka config sasl (${mechanism})`, sasl, ['mechanism', 'username', 'password']);
      if (typeof sasl.username !== 'string' || sasl.username === '' || typeof sasl.password !== 'string') {
        throw new ConfigError(
          `Kafka config: sasl (${mechanism}) needs username and password, or secretArn (a Secrets Manager secret)`,
        );
      }
    }
  } else {
    throw new ConfigError(
      `Kafka config: sasl.mechanism must be one of ${SASL_MECHANISMS.join(', ')}, got ${JSON.stringify(mechanism)}`,
    );
  }
  return config;
}

/** The config with credentials masked: safe to log. */
export function describeKafkaConfig(config: KafkaConfig): Record<string, unknown> {
  const sasl = config.sasl;
  return {
    brokers: config.brokers,
    clientId: config.clientId,
    ssl: typeof config.ssl === 'object' ? 'custom TLS options' : (config.ssl ?? false),
    sasl:
      sasl === undefined
        ? undefined
        : 'password' in sasl
          ? { mechanism: sasl.mechanism, username: sasl.username, password: '***' }
          : sasl,
  };
}

function checkBroker(broker: unknown, where: string): void {
  if (typeof broker !== 'string' || broker === '') {
    throw new ConfigError(
      `${where}: empty broker entry: list host:port entries separated by commas, no trailing comma`,
    );
  }
  if (broker.includes('://')) {
    throw new ConfigError(
      `${where}: "${broker}" has a scheme: give host:port only (TLS is SLUICE_KAFKA_TLS)`,
    );
  }
  const match = BROKER.exec(broker);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) {
    throw new ConfigError(`${where}: "${broker}" is not host:port (e.g. 127.0.0.1:29092)`);
  }
}

function checkSecretArn(arn: unknown, where: string): void {
  if (typeof arn !== 'string' || !SECRET_ARN.test(arn)) {
    throw new ConfigError(
      `${where} must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), ` +
        `got ${JSON.stringify(arn)}`,
    );
  }
}

function parseBoolean(raw: string | undefined, name: string): boolean | undefined {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function rejectUnknown(where: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${where}: unknown option "${key}"; allowed: ${allowed.join(', ')}`);
    }
  }
}
