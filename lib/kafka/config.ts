import {
  brokerProblem,
  KAFKA_LOG_LEVELS,
  type KafkaConfig,
  SASL_MECHANISMS,
  type SluiceConfig,
  secretArnProblem,
} from '../core/config';
import { ConfigError } from '../core/errors';

// The settings are part of the one typed configuration (lib/core/config.ts), which reads them
// from SLUICE_KAFKA_*; this module checks configs built in code and prints them.
export type { KafkaConfig, KafkaLogLevel, KafkaSaslConfig, ScramMechanism } from '../core/config';
export { KAFKA_LOG_LEVELS } from '../core/config';

const CONFIG_KEYS = ['brokers', 'clientId', 'ssl', 'sasl', 'logLevel'];

/**
 * The Kafka settings of the configuration, for code about to connect: a ConfigError naming
 * SLUICE_KAFKA_BROKERS when they are absent (a function without a Kafka sink needs none, so the
 * configuration alone does not require them).
 *
 * @example
 * const kafka = await createKafka(kafkaConfigOf(configFromEnv(process.env)));
 */
export function kafkaConfigOf(config: Pick<SluiceConfig, 'kafka'>): KafkaConfig {
  if (config.kafka) return config.kafka;
  throw new ConfigError(
    'SLUICE_KAFKA_BROKERS is required: set it to the comma-separated host:port bootstrap servers ' +
      '(e.g. 127.0.0.1:29092 for the local stack, or the MSK bootstrap string)',
  );
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
  const problem = brokerProblem(broker, where);
  if (problem) throw new ConfigError(problem);
}

function checkSecretArn(arn: unknown, where: string): void {
  const problem = secretArnProblem(arn, where);
  if (problem) throw new ConfigError(problem);
}

function rejectUnknown(where: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${where}: unknown option "${key}"; allowed: ${allowed.join(', ')}`);
    }
  }
}
