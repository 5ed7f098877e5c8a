import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stackEndpoints } from '../../infra/local/stack';
import {
  type ConfigOverrides,
  configFromEnv,
  DEFAULT_STORE_DIR,
  type KafkaConfig,
  type SluiceConfig,
} from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { createLogger, type Logger } from '../../lib/core/log';
import { createKafka, type KafkaClient } from '../../lib/kafka/client';
import { kafkaConfigOf } from '../../lib/kafka/config';
import { storeFromConfig } from '../../lib/store/from-config';
import type { Store } from '../../lib/store/store';
import type { CliIO } from './io';
import { commandNamespace } from './namespace';
import { assertBrokersReachable } from './reachable';
import { createStyle, type Style } from './style';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  'bootstrap.servers'?: string;
  config?: string;
  store?: string;
  storeDir?: string;
  namespace?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** What commands get: the terminal, and factories tests can replace. */
export interface CliContext {
  io: CliIO;
  /** default `createKafka` (after checking the brokers answer) */
  createKafka?: (config: KafkaConfig, log: Logger) => Promise<KafkaClient>;
}

/** The resolved settings of one command run. */
export interface CommandEnv {
  io: CliIO;
  options: GlobalOptions;
  /**
   * The shell's environment, as given: for serverless.yml's `${env:...}`, the AWS SDK's own
   * variables and the environment of function instances the emulator starts. Flags are never
   * written into it: they are in `config`.
   */
  env: NodeJS.ProcessEnv;
  /**
   * The typed configuration (lib/core/config.ts) from the flags, then the environment, then the
   * local stack's address, validated when a command first needs it (so a command can add its
   * own defaults first). `overrides` are a command's own defaults (e.g. `sluice dev`'s store
   * names), applied under the flags; built once per distinct call.
   */
  config(overrides?: ConfigOverrides): SluiceConfig;
  out: Style;
  err: Style;
  /** serverless.yml, absolute */
  configPath: string;
  /** Sluice's logger for diagnostics: JSON lines on stderr (stdout stays for data) */
  log: Logger;
  kafka(): Promise<KafkaClient>;
  /** the deployment namespace (--namespace, SLUICE_NAMESPACE, or serverless.yml's local one) */
  namespace(): Promise<string>;
  /** the store of `config()`, in the command's namespace */
  store(): Promise<Store>;
  print(text: string): void;
  note(text: string): void;
  json(value: unknown): void;
  /** Finish normally but exit with `code` (a failed check, a service found down). */
  setExitCode(code: number): void;
  close(): Promise<void>;
}

const exitCodes = new WeakMap<CliIO, number>();

/** The exit code a command asked for (and forgets it). */
export function takeExitCode(io: CliIO): number | undefined {
  const code = exitCodes.get(io);
  exitCodes.delete(io);
  return code;
}

/**
 * Precedence, like Kafka's and Flink's tools: command line, then environment, then the local
 * stack's address (documented in `--help`, so never a silent guess).
 */
export function commandEnv(ctx: CliContext, command: Command, defaults: CommandDefaults = {}): CommandEnv {
  const options = command.optsWithGlobals<GlobalOptions>();
  const io = ctx.io;
  // A copy: the local AWS credentials (localAwsCredentials) are the one thing written into it.
  const env: NodeJS.ProcessEnv = { ...io.env };
  const flags: ConfigOverrides = {
    SLUICE_KAFKA_BROKERS:
      options['bootstrap.servers'] !== undefined
        ? { value: options['bootstrap.servers'], from: '--bootstrap.servers' }
        : (io.env.SLUICE_KAFKA_BROKERS ?? '') === ''
          ? { value: stackEndpoints(io.env).SLUICE_KAFKA_BROKERS, from: 'the local stack address' }
          : undefined,
  };
  if (options.store !== undefined) flags.SLUICE_STORE = { value: options.store, from: '--store' };
  if (options.namespace !== undefined)
    flags.SLUICE_NAMESPACE = { value: options.namespace, from: '--namespace' };
  const storeDir = options.storeDir ?? env.SLUICE_STORE_DIR;
  if (storeDir === '') {
    // resolve() would turn it into the current directory, scattering checkpoints there.
    throw new ConfigError(
      `${options.storeDir === '' ? '--store-dir' : 'SLUICE_STORE_DIR'} is empty: name a directory, or leave it out (default ${defaults.storeDir ?? DEFAULT_STORE_DIR})`,
    );
  }
  flags.SLUICE_STORE_DIR = {
    value: resolve(io.cwd, storeDir ?? defaults.storeDir ?? DEFAULT_STORE_DIR),
    from: options.storeDir !== undefined ? '--store-dir' : 'SLUICE_STORE_DIR',
  };
  const configs = new Map<string, SluiceConfig>();
  const configOf = (overrides: ConfigOverrides = {}): SluiceConfig => {
    const key = JSON.stringify(overrides);
    let config = configs.get(key);
    if (!config) {
      const merged: ConfigOverrides = { ...overrides };
      for (const [name, value] of Object.entries(flags)) {
        if (value !== undefined) merged[name as keyof ConfigOverrides] = value;
      }
      config = configFromEnv(io.env, merged);
      configs.set(key, config);
    }
    return config;
  };
  // The CLI's own diagnostics: quieter than a function's by default.
  const log = createLogger({
    level: options.verbose ? 'debug' : (io.env.SLUICE_LOG_LEVEL ?? 'warn'),
    write: (line) => io.stderr.write(`${line}\n`),
  });
  let kafka: Promise<KafkaClient> | undefined;
  let store: Promise<Store> | undefined;
  let namespace: Promise<string> | undefined;
  const configPath = resolve(io.cwd, options.config ?? env.SLUICE_CONFIG ?? 'serverless.yml');
  const namespaceOf = () => {
    namespace ??= commandNamespace({ explicit: options.namespace, env, configPath });
    return namespace;
  };
  const make =
    ctx.createKafka ??
    (async (kafkaConfig: KafkaConfig, l: Logger) => {
      await assertBrokersReachable(kafkaConfig.brokers);
      return createKafka(kafkaConfig, { logger: l });
    });
  return {
    io,
    options,
    env,
    config: configOf,
    out: createStyle(io.stdout, io.env, options.color === false ? false : undefined),
    err: createStyle(io.stderr, io.env, options.color === false ? false : undefined),
    configPath,
    log,
    kafka: () => {
      kafka ??= Promise.resolve().then(() => make(kafkaConfigOf(configOf()), log));
      return kafka;
    },
    namespace: namespaceOf,
    store: () => {
      store ??= Promise.resolve().then(async () => {
        const { store: settings } = configOf();
        if (settings.kind === 'aws') localAwsCredentials(env);
        return storeFromConfig(settings, await namespaceOf());
      });
      return store;
    },
    print: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    setExitCode: (code) => exitCodes.set(io, Math.max(code, exitCodes.get(io) ?? 0)),
    async close() {
      const [k, s] = await Promise.allSettled([kafka, store]);
      await Promise.allSettled([
        k.status === 'fulfilled' && k.value ? k.value.close() : undefined,
        s.status === 'fulfilled' && s.value ? s.value.close() : undefined,
      ]);
    },
  };
}

/** Where the file store lives unless --store-dir or SLUICE_STORE_DIR say otherwise. */
export { DEFAULT_STORE_DIR } from '../../lib/core/config';

/** Settings a command defaults differently from the others. */
export interface CommandDefaults {
  /** the file store's directory (e.g. `invoke` keeps its own, apart from `dev`'s) */
  storeDir?: string;
}

/** Runs a command body with its settings, closing Kafka clients and stores afterwards. */
export function action<Args extends unknown[]>(
  ctx: CliContext,
  body: (env: CommandEnv, ...args: Args) => Promise<void>,
  defaults: CommandDefaults = {},
) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const env = commandEnv(ctx, command, defaults);
    try {
      await body(env, ...(args.slice(0, -1) as Args));
    } finally {
      await env.close();
    }
  };
}

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/;

/**
 * DynamoDB Local and moto accept any credentials, but the SDK refuses to sign without some:
 * when every configured AWS endpoint is on this machine and no credentials are set, use dummy
 * ones. Never for real AWS (no endpoint variables): there a missing credential is an error.
 * The SDK reads them from process.env, hence the assignment (the CLI is the edge).
 */
export function localAwsCredentials(env: NodeJS.ProcessEnv): void {
  const endpoints = [env.AWS_ENDPOINT_URL, env.AWS_ENDPOINT_URL_DYNAMODB, env.AWS_ENDPOINT_URL_S3].filter(
    Boolean,
  );
  if (endpoints.length === 0 || !endpoints.every((e) => LOOPBACK.test(e!))) return;
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return;
  for (const [name, value] of [
    ['AWS_ACCESS_KEY_ID', 'local'],
    ['AWS_SECRET_ACCESS_KEY', 'local'],
  ] as const) {
    env[name] = value;
    process.env[name] ??= value;
  }
}
