/**
 * The one typed configuration of the shipping runtime: which store, where it keeps its data,
 * the deployment namespace, how to reach Kafka, the log level and Lambda's partial batch
 * responses. It is built and validated once, at cold start on Lambda (or by the CLI from its
 * flags), and passed down as a typed object: nothing below reads `process.env`.
 *
 * The environment variables are the documented interface (README, docs/deploy.md, docs/cli.md):
 * an unknown `SLUICE_*` variable is an error with a "did you mean", booleans are `true` or
 * `false` and nothing else, and cross-field rules (an aws store needs a table and a bucket, no
 * file store on Lambda, ...) are checked here, so nothing falls back silently.
 */
import type { ConnectionOptions } from 'node:tls';
import * as v from 'valibot';
import { editDistance } from './edit-distance';
import { ConfigError } from './errors';
import { LOCAL_NAMESPACE, validateNamespace } from './namespace';

// ---------------------------------------------------------------------------------------------
// Kafka settings (lib/kafka takes these as they are; defined here so the config can hold them)

/**
 * How Sluice reaches Kafka. Credentials are never logged: `describeKafkaConfig` (lib/kafka) is the
 * printable form.
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
export const SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'aws-iam'] as const;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
/** host:port with a DNS name, IPv4 address or [IPv6] literal. */
const BROKER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** Why `broker` is not a bootstrap server, or undefined when it is one. */
export function brokerProblem(broker: unknown, where: string): string | undefined {
  if (typeof broker !== 'string' || broker === '') {
    return `${where}: empty broker entry: list host:port entries separated by commas, no trailing comma`;
  }
  if (broker.includes('://')) {
    return `${where}: "${broker}" has a scheme: give host:port only (TLS is SLUICE_KAFKA_TLS)`;
  }
  const match = BROKER.exec(broker);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535)
    return `${where}: "${broker}" is not host:port (e.g. 127.0.0.1:29092)`;
  return undefined;
}

/** Why `arn` is not a Secrets Manager secret ARN, or undefined when it is one. */
export function secretArnProblem(arn: unknown, where: string): string | undefined {
  if (typeof arn === 'string' && SECRET_ARN.test(arn)) return undefined;
  return (
    `${where} must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), ` +
    `got ${JSON.stringify(arn)}`
  );
}

// ---------------------------------------------------------------------------------------------
// The configuration

export const STORE_KINDS = ['memory', 'file', 'aws'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the file store lives off Lambda unless SLUICE_STORE_DIR says otherwise. */
export const DEFAULT_STORE_DIR = '.sluice/checkpoints';

export type StoreConfig =
  | { kind: 'memory' }
  /** `dir` as given (relative to the working directory) */
  | { kind: 'file'; dir: string }
  | { kind: 'aws'; table: string; bucket: string };

/** The runtime's configuration; `configFromEnv` builds it. */
export interface SluiceConfig {
  /** AWS_LAMBDA_FUNCTION_NAME is set: running on Lambda (stricter defaults). */
  onLambda: boolean;
  /** SLUICE_NAMESPACE: the deployment namespace (lib/core/namespace.ts). */
  namespace: string;
  /** SLUICE_STORE and its settings (SLUICE_STORE_DIR, SLUICE_TABLE, SLUICE_BUCKET). */
  store: StoreConfig;
  /** SLUICE_KAFKA_*: absent without SLUICE_KAFKA_BROKERS (a function without a Kafka sink needs none). */
  kafka?: KafkaConfig;
  /** SLUICE_LOG_LEVEL, default `info`. */
  logLevel: LogLevel;
  /** SLUICE_REPORT_BATCH_ITEM_FAILURES: answer Lambda with partial batch responses. */
  reportBatchItemFailures: boolean;
  /** SLUICE_METRICS and SLUICE_METRICS_NAMESPACE: per-batch metrics in CloudWatch's EMF. */
  metrics: MetricsConfig;
}

/** CloudWatch namespace of Sluice's metrics unless SLUICE_METRICS_NAMESPACE says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'Sluice';

export interface MetricsConfig {
  /** Default true on Lambda, false elsewhere (tests, the CLI; `sluice dev` turns them on for its page). */
  enabled: boolean;
  namespace: string;
}

/** The variables the runtime reads, each with what it means (README and docs list the same). */
export const CONFIG_VARIABLES = {
  SLUICE_STORE: 'checkpoint store: memory, file or aws (default aws on Lambda, file elsewhere)',
  SLUICE_STORE_DIR: `file store directory (default ${DEFAULT_STORE_DIR})`,
  SLUICE_TABLE: 'aws store: the DynamoDB table holding checkpoints',
  SLUICE_BUCKET: 'aws store: the S3 bucket holding large state',
  SLUICE_NAMESPACE: `deployment namespace (required on Lambda; default ${LOCAL_NAMESPACE} elsewhere)`,
  SLUICE_KAFKA_BROKERS: 'Kafka bootstrap servers, host:port[,host:port]',
  SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512, scram-sha-256 or aws-iam',
  SLUICE_KAFKA_SECRET_ARN: 'Secrets Manager secret with {"username","password"} (SCRAM)',
  SLUICE_KAFKA_TLS: 'true or false (default true with SASL, else false)',
  SLUICE_KAFKA_LOG_LEVEL: `kafkajs log level: ${KAFKA_LOG_LEVELS.join(', ')} (default error)`,
  SLUICE_LOG_LEVEL: `${LOG_LEVELS.join(', ')} (default info)`,
  SLUICE_REPORT_BATCH_ITEM_FAILURES: 'true or false (default false); the serverless plugin sets it',
  SLUICE_METRICS:
    'true or false: per-batch metrics in CloudWatch embedded metric format on stdout (default true on Lambda, false elsewhere)',
  SLUICE_METRICS_NAMESPACE: `CloudWatch namespace of the metrics (default ${DEFAULT_METRICS_NAMESPACE})`,
} as const;
export type ConfigVariable = keyof typeof CONFIG_VARIABLES;

/**
 * SLUICE_* variables read by the tools, never by the runtime (the CLI, the local stack, the
 * emulator's child protocol, packaging, tests). Accepted and ignored here, so a shell that
 * configures the local stack can still run functions.
 */
export const TOOL_VARIABLES = [
  'SLUICE_CONFIG',
  'SLUICE_KAFKA_PORT',
  'SLUICE_KAFKA_CONTROLLER_PORT',
  'SLUICE_KAFKA_VERSION',
  'SLUICE_DYNAMODB_PORT',
  'SLUICE_S3_PORT',
  'SLUICE_SCHEMA_REGISTRY_PORT',
  'SLUICE_STACK_DIR',
  'SLUICE_CACHE_DIR',
  'SLUICE_STACK_TEARDOWN',
  'SLUICE_NO_INSTALL',
  'SLUICE_ESBUILD_WORK_FOLDER',
  'SLUICE_CHILD_BUNDLE',
  'SLUICE_CHILD_EXPORT',
  'SLUICE_CHILD_FUNCTION',
  'SLUICE_CHILD_REGION',
  'SLUICE_PROPERTY_SEED',
  'SLUICE_CHAOS_SEED',
  'SLUICE_SKIP_BROWSER_TESTS',
] as const;

/** Names people reach for that are too far from the right one for the edit distance to find. */
const MISNAMED: Record<string, ConfigVariable> = {
  SLUICE_KAFKA_BOOTSTRAP_SERVERS: 'SLUICE_KAFKA_BROKERS',
  SLUICE_KAFKA_BOOTSTRAP: 'SLUICE_KAFKA_BROKERS',
  SLUICE_KAFKA_SSL: 'SLUICE_KAFKA_TLS',
  SLUICE_KAFKA_SASL: 'SLUICE_KAFKA_SASL_MECHANISM',
  SLUICE_KAFKA_MECHANISM: 'SLUICE_KAFKA_SASL_MECHANISM',
  SLUICE_KAFKA_SECRET: 'SLUICE_KAFKA_SECRET_ARN',
  SLUICE_KAFKA_SASL_SECRET_ARN: 'SLUICE_KAFKA_SECRET_ARN',
};

/**
 * A setting given some other way than its variable (a CLI flag): its value, and the name error
 * messages use for it (e.g. `--store`).
 */
export interface ConfigOverride {
  value: string;
  from: string;
}
export type ConfigOverrides = Partial<Record<ConfigVariable, ConfigOverride>>;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds and validates the configuration from environment variables (and, for the CLI,
 * overrides from its flags). Every problem is reported in one ConfigError, each naming the
 * variable (or flag) to fix and what to set it to.
 *
 * @example
 * const config = configFromEnv(process.env); // once, at cold start
 * const runtime = await runtimeFromConfig(config);
 */
export function configFromEnv(env: Env, overrides: ConfigOverrides = {}): SluiceConfig {
  const unknown = unknownVariables(env);
  if (unknown.length > 0) throw new ConfigError(unknown.join('\n'));
  const nameOf = (variable: ConfigVariable) => overrides[variable]?.from ?? variable;
  const raw: Record<string, string | undefined> = {};
  for (const variable of Object.keys(CONFIG_VARIABLES) as ConfigVariable[]) {
    raw[variable] = overrides[variable]?.value ?? env[variable];
  }
  const context: Context = {
    nameOf,
    onLambda: env.AWS_LAMBDA_FUNCTION_NAME !== undefined,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined,
  };
  const result = v.safeParse(schemaOf(context), raw);
  if (!result.success) throw new ConfigError(result.issues.map((issue) => issue.message).join('\n'));
  return result.output;
}

/** Messages for every SLUICE_* variable of `env` that neither the runtime nor the tools read. */
export function unknownVariables(env: Env): string[] {
  const known = [...Object.keys(CONFIG_VARIABLES), ...TOOL_VARIABLES];
  return Object.keys(env)
    .filter((name) => name.startsWith('SLUICE_') && env[name] !== undefined && !known.includes(name))
    .sort()
    .map((name) => {
      const suggestion = MISNAMED[name] ?? nearest(name, known);
      return (
        `${name} is not a Sluice setting${suggestion ? `: did you mean ${suggestion}?` : ''} ` +
        `Rename or unset it (it would be ignored); the settings are ${Object.keys(CONFIG_VARIABLES).join(', ')}`
      );
    });
}

/** The variables that give a function instance this configuration (the emulator's child processes). */
export function configToEnv(config: SluiceConfig): Record<ConfigVariable, string | undefined> {
  const { store, kafka } = config;
  const sasl = kafka?.sasl;
  return {
    SLUICE_STORE: store.kind,
    SLUICE_STORE_DIR: store.kind === 'file' ? store.dir : undefined,
    SLUICE_TABLE: store.kind === 'aws' ? store.table : undefined,
    SLUICE_BUCKET: store.kind === 'aws' ? store.bucket : undefined,
    SLUICE_NAMESPACE: config.namespace,
    SLUICE_KAFKA_BROKERS: kafka?.brokers.join(','),
    SLUICE_KAFKA_SASL_MECHANISM: sasl?.mechanism,
    SLUICE_KAFKA_SECRET_ARN: sasl && 'secretArn' in sasl ? sasl.secretArn : undefined,
    SLUICE_KAFKA_TLS: kafka && typeof kafka.ssl === 'boolean' ? String(kafka.ssl) : undefined,
    SLUICE_KAFKA_LOG_LEVEL: kafka?.logLevel,
    SLUICE_LOG_LEVEL: config.logLevel,
    SLUICE_REPORT_BATCH_ITEM_FAILURES: String(config.reportBatchItemFailures),
    SLUICE_METRICS: String(config.metrics.enabled),
    SLUICE_METRICS_NAMESPACE: config.metrics.namespace,
  };
}

interface Context {
  nameOf(variable: ConfigVariable): string;
  onLambda: boolean;
  /** AWS_REGION, else AWS_DEFAULT_REGION (MSK IAM signs for it) */
  region: string | undefined;
}

/** The per-variable shapes (valibot), then the cross-field rules building the typed config. */
function schemaOf(ctx: Context) {
  const { nameOf } = ctx;
  const got = (input: unknown) => JSON.stringify(input);
  const text = (variable: ConfigVariable) => v.optional(v.string(`${nameOf(variable)} must be a string`));
  /** Lower-cased and trimmed, then one of `options`; empty means unset. */
  const oneOf = <const T extends readonly string[]>(variable: ConfigVariable, options: T) =>
    v.optional(
      v.pipe(
        v.string(),
        v.transform((value) => value.trim().toLowerCase() || undefined),
        v.optional(
          v.picklist(
            options,
            (issue) => `${nameOf(variable)} must be one of ${options.join(', ')}, got ${got(issue.input)}`,
          ),
        ),
      ),
    );
  /** Exactly `true` or `false`: `TRUE`, `1` or `yes` are mistakes worth hearing about. Empty means unset. */
  const bool = (variable: ConfigVariable) =>
    v.optional(
      v.pipe(
        v.string(),
        v.check(
          (value) => value === '' || value === 'true' || value === 'false',
          (issue) =>
            `${nameOf(variable)} must be true or false (lower case), got ${got(issue.input)}: set it to one of those`,
        ),
        v.transform((value) => (value === '' ? undefined : value === 'true')),
      ),
    );

  const variables = v.object({
    SLUICE_STORE: v.optional(
      v.picklist(
        STORE_KINDS,
        (issue) =>
          `${nameOf('SLUICE_STORE')} must be one of ${STORE_KINDS.join(', ')}, got ${got(issue.input)}`,
      ),
    ),
    SLUICE_STORE_DIR: text('SLUICE_STORE_DIR'),
    SLUICE_TABLE: text('SLUICE_TABLE'),
    SLUICE_BUCKET: text('SLUICE_BUCKET'),
    SLUICE_NAMESPACE: text('SLUICE_NAMESPACE'),
    SLUICE_KAFKA_BROKERS: text('SLUICE_KAFKA_BROKERS'),
    SLUICE_KAFKA_SASL_MECHANISM: oneOf('SLUICE_KAFKA_SASL_MECHANISM', SASL_MECHANISMS),
    SLUICE_KAFKA_SECRET_ARN: text('SLUICE_KAFKA_SECRET_ARN'),
    SLUICE_KAFKA_TLS: bool('SLUICE_KAFKA_TLS'),
    SLUICE_KAFKA_LOG_LEVEL: oneOf('SLUICE_KAFKA_LOG_LEVEL', KAFKA_LOG_LEVELS),
    SLUICE_LOG_LEVEL: v.optional(
      v.picklist(
        LOG_LEVELS,
        (issue) =>
          `${nameOf('SLUICE_LOG_LEVEL')} must be one of ${LOG_LEVELS.join(', ')}, got ${got(issue.input)}`,
      ),
    ),
    SLUICE_REPORT_BATCH_ITEM_FAILURES: bool('SLUICE_REPORT_BATCH_ITEM_FAILURES'),
    SLUICE_METRICS: bool('SLUICE_METRICS'),
    SLUICE_METRICS_NAMESPACE: v.optional(
      v.pipe(
        v.string(),
        v.transform((value) => value.trim() || undefined),
        v.optional(
          v.pipe(
            v.string(),
            // CloudWatch: up to 255 characters, alphanumerics and . - _ / # : (and not only ':')
            v.regex(
              /^[A-Za-z0-9._\-/#:]{1,255}$/,
              (issue) =>
                `${nameOf('SLUICE_METRICS_NAMESPACE')} must be a CloudWatch namespace (letters, digits, . - _ / # :, ` +
                `at most 255), got ${got(issue.input)}`,
            ),
          ),
        ),
      ),
    ),
  });

  return v.pipe(
    variables,
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const problems: string[] = [];
      const input = dataset.value;
      const namespace = namespaceOf(input.SLUICE_NAMESPACE, ctx, problems);
      const store = storeOf(input, ctx, problems);
      const kafka = kafkaOf(input, ctx, problems);
      if (problems.length > 0) {
        for (const message of problems) addIssue({ message });
        return NEVER;
      }
      const config: SluiceConfig = {
        onLambda: ctx.onLambda,
        namespace,
        store: store!,
        logLevel: input.SLUICE_LOG_LEVEL ?? 'info',
        reportBatchItemFailures: input.SLUICE_REPORT_BATCH_ITEM_FAILURES ?? false,
        metrics: {
          enabled: input.SLUICE_METRICS ?? ctx.onLambda,
          namespace: input.SLUICE_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
        },
      };
      if (kafka) config.kafka = kafka;
      return config;
    }),
  );
}

type Parsed = {
  SLUICE_STORE?: StoreKind | undefined;
  SLUICE_STORE_DIR?: string | undefined;
  SLUICE_TABLE?: string | undefined;
  SLUICE_BUCKET?: string | undefined;
  SLUICE_KAFKA_BROKERS?: string | undefined;
  SLUICE_KAFKA_SASL_MECHANISM?: (typeof SASL_MECHANISMS)[number] | undefined;
  SLUICE_KAFKA_SECRET_ARN?: string | undefined;
  SLUICE_KAFKA_TLS?: boolean | undefined;
  SLUICE_KAFKA_LOG_LEVEL?: KafkaLogLevel | undefined;
};

function namespaceOf(value: string | undefined, ctx: Context, problems: string[]): string {
  const name = ctx.nameOf('SLUICE_NAMESPACE');
  if (value === undefined || value === '') {
    if (ctx.onLambda) {
      problems.push(
        `${name} is not set: the sluice serverless plugin sets it to <service>-<stage>; without the ` +
          'plugin, set it in the function environment to a name unique to this deployment on the cluster',
      );
    }
    return LOCAL_NAMESPACE;
  }
  try {
    return validateNamespace(value, name);
  } catch (error) {
    problems.push((error as Error).message);
    return LOCAL_NAMESPACE;
  }
}

function storeOf(input: Parsed, ctx: Context, problems: string[]): StoreConfig | undefined {
  const { nameOf } = ctx;
  const kind = input.SLUICE_STORE ?? (ctx.onLambda ? 'aws' : 'file');
  if (ctx.onLambda && kind !== 'aws') {
    problems.push(
      `${nameOf('SLUICE_STORE')}=${kind} on Lambda would lose checkpoints with the instance; ` +
        `use ${nameOf('SLUICE_STORE')}=aws (the default there)`,
    );
    return undefined;
  }
  if (kind === 'memory') return { kind };
  if (kind === 'file') {
    if (input.SLUICE_STORE_DIR === '') {
      problems.push(
        `${nameOf('SLUICE_STORE_DIR')} is set but empty: unset it (default ${DEFAULT_STORE_DIR}) or name a directory`,
      );
      return undefined;
    }
    return { kind, dir: input.SLUICE_STORE_DIR ?? DEFAULT_STORE_DIR };
  }
  const table = input.SLUICE_TABLE?.trim();
  const bucket = input.SLUICE_BUCKET?.trim();
  if (!table) {
    problems.push(
      `${nameOf('SLUICE_TABLE')} is not set: the aws store needs it, the DynamoDB table holding checkpoints ` +
        '(serverless.yml sets it from the stack)',
    );
  }
  if (!bucket) {
    problems.push(
      `${nameOf('SLUICE_BUCKET')} is not set: the aws store needs it, the S3 bucket holding large state ` +
        '(serverless.yml sets it from the stack)',
    );
  }
  return table && bucket ? { kind, table, bucket } : undefined;
}

/** The Kafka settings, as the Kafka adapter takes them; undefined without SLUICE_KAFKA_BROKERS. */
function kafkaOf(input: Parsed, ctx: Context, problems: string[]): KafkaConfig | undefined {
  const { nameOf } = ctx;
  const brokersName = nameOf('SLUICE_KAFKA_BROKERS');
  const mechanismName = nameOf('SLUICE_KAFKA_SASL_MECHANISM');
  const secretName = nameOf('SLUICE_KAFKA_SECRET_ARN');
  const tlsName = nameOf('SLUICE_KAFKA_TLS');
  const rawBrokers = input.SLUICE_KAFKA_BROKERS?.trim();
  if (!rawBrokers) return undefined;
  const count = problems.length;
  const brokers = rawBrokers.split(',').map((broker) => broker.trim());
  for (const broker of brokers) {
    const problem = brokerProblem(broker, brokersName);
    if (problem) problems.push(problem);
  }
  const mechanism = input.SLUICE_KAFKA_SASL_MECHANISM;
  const secretArn = input.SLUICE_KAFKA_SECRET_ARN?.trim() || undefined;

  let sasl: KafkaSaslConfig | undefined;
  if (mechanism === 'aws-iam') {
    if (secretArn) {
      problems.push(
        `${secretName} is set but ${mechanismName}=aws-iam signs with IAM credentials, ` +
          'not a secret: unset one of them (a secret goes with scram-sha-512)',
      );
    } else if (!ctx.region) {
      problems.push(
        `${mechanismName}=aws-iam needs the cluster region: set AWS_REGION (Lambda sets it for you)`,
      );
    } else {
      sasl = { mechanism, region: ctx.region };
    }
  } else if (mechanism !== undefined) {
    if (!secretArn) {
      problems.push(
        `${mechanismName}=${mechanism} needs credentials: set ${secretName} to the ARN of a ` +
          'Secrets Manager secret holding {"username","password"} (the secret Lambda\'s SASL/SCRAM uses)',
      );
    } else {
      sasl = { mechanism, secretArn };
    }
  } else if (secretArn) {
    problems.push(
      `${secretName} is set but ${mechanismName} is not: set it to scram-sha-512 (Amazon MSK) or scram-sha-256`,
    );
  }
  if (secretArn) {
    const problem = secretArnProblem(secretArn, secretName);
    if (problem) problems.push(problem);
  }

  const ssl = input.SLUICE_KAFKA_TLS ?? mechanism !== undefined;
  if (!ssl && mechanism === 'aws-iam') {
    problems.push(
      `${tlsName}=false with ${mechanismName}=aws-iam: MSK IAM authentication only runs ` +
        `over TLS (port 9098); remove ${tlsName}`,
    );
  }
  if (problems.length > count) return undefined;
  const config: KafkaConfig = { brokers, ssl };
  if (sasl) config.sasl = sasl;
  if (input.SLUICE_KAFKA_LOG_LEVEL) config.logLevel = input.SLUICE_KAFKA_LOG_LEVEL;
  return config;
}

/** The known name closest to `name` (Levenshtein), if it is close enough to be a typo of it. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // The shared SLUICE_ prefix makes every name look close; count only the rest.
  const rest = name.length - 'SLUICE_'.length;
  return bestDistance <= Math.max(2, Math.floor(rest / 3)) ? best : undefined;
}
