import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stackEndpoints } from '../../infra/local/stack';
import { ConfigError } from '../../lib/core/errors';
import { createLogger, type Logger } from '../../lib/core/log';
import { createKafka, type KafkaClient } from '../../lib/kafka/client';
import { kafkaConfigFromEnv } from '../../lib/kafka/config';
import { STORE_KINDS, storeFromEnv } from '../../lib/store/from-env';
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
  /** default `createKafka` */
  createKafka?: (env: NodeJS.ProcessEnv, log: Logger) => Promise<KafkaClient>;
}

/** The resolved settings of one command run. */
export interface CommandEnv {
  io: CliIO;
  options: GlobalOptions;
  /** io.env with the command-line settings applied (SLUICE_KAFKA_BROKERS, SLUICE_STORE, ...) */
  env: NodeJS.ProcessEnv;
  out: Style;
  err: Style;
  /** serverless.yml, absolute */
  configPath: string;
  /** Sluice's logger for diagnostics: JSON lines on stderr (stdout stays for data) */
  log: Logger;
  kafka(): Promise<KafkaClient>;
  /** the deployment namespace (--namespace, SLUICE_NAMESPACE, or serverless.yml's local one) */
  namespace(): Promise<string>;
  /** the store, in the command's namespace */
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
  const env: NodeJS.ProcessEnv = { ...io.env };
  env.SLUICE_KAFKA_BROKERS =
    options['bootstrap.servers'] ??
    io.env.SLUICE_KAFKA_BROKERS ??
    stackEndpoints(io.env).SLUICE_KAFKA_BROKERS;
  if (options.store !== undefined) {
    if (!(STORE_KINDS as readonly string[]).includes(options.store)) {
      throw new ConfigError(`--store must be one of ${STORE_KINDS.join(', ')}, got "${options.store}"`);
    }
    env.SLUICE_STORE = options.store;
  }
  const storeDir = options.storeDir ?? env.SLUICE_STORE_DIR;
  if (storeDir === '') {
    // resolve() would turn it into the current directory, scattering checkpoints there.
    throw new ConfigError(
      `${options.storeDir === '' ? '--store-dir' : 'SLUICE_STORE_DIR'} is empty: name a directory, or leave it out (default ${defaults.storeDir ?? DEFAULT_STORE_DIR})`,
    );
  }
  env.SLUICE_STORE_DIR = resolve(io.cwd, storeDir ?? defaults.storeDir ?? DEFAULT_STORE_DIR);
  const log = createLogger({
    level: options.verbose ? 'debug' : (env.SLUICE_LOG_LEVEL ?? 'warn'),
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
    (async (e: NodeJS.ProcessEnv, l: Logger) => {
      const config = kafkaConfigFromEnv(e);
      await assertBrokersReachable(config.brokers);
      return createKafka(config, { logger: l });
    });
  return {
    io,
    options,
    env,
    out: createStyle(io.stdout, io.env, options.color === false ? false : undefined),
    err: createStyle(io.stderr, io.env, options.color === false ? false : undefined),
    configPath,
    log,
    kafka: () => {
      kafka ??= make(env, log);
      return kafka;
    },
    namespace: namespaceOf,
    store: () => {
      if (env.SLUICE_STORE === 'aws') localAwsCredentials(env);
      store ??= namespaceOf().then((ns) => storeFromEnv({ ...env, SLUICE_NAMESPACE: ns }));
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
export const DEFAULT_STORE_DIR = '.sluice/checkpoints';

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
