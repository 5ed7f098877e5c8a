/**
 * `sluice dev` in one call: read serverless.yml, load (or bundle) each function with Kafka
 * events, start the emulator.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configFromEnv } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { kafkaConfigOf } from '../../lib/kafka/config';
import type { KafkaHandler } from '../../lib/lambda/handler';
import { bundleChildRunner, bundleFunction } from './bundle';
import { createChildProcessInvoker } from './child-invoker';
import { type EmulatedFunction, type Emulator, type EmulatorOptions, startEmulator } from './emulator';
import type { InvokerFactory } from './instance-pool';
import { createInProcessInvoker, type LambdaFunction } from './invoker';
import { forLocalRun } from './local-environment';
import { loadServerlessConfig, type ServerlessConfig, type ServerlessFunction } from './serverless-config';

export type InvokeMode = 'bundle' | 'in-process';

export interface ServerlessEmulatorOptions extends Omit<EmulatorOptions, 'functions'> {
  /** serverless.yml (default `<cwd>/serverless.yml`). */
  config?: string;
  cwd?: string;
  stage?: string;
  /** Only these functions (their keys under `functions:`). */
  only?: string[];
  /**
   * `bundle` (default): each function's esbuild bundle runs in a child process with the
   * function's environment, so what runs is what deploys. `in-process`: the handler module is
   * imported here (faster to start); the function's environment then reaches the Sluice
   * runtime (store, publishers), but module-level reads of `process.env` see this process's.
   */
  mode?: InvokeMode;
  /** Where bundles go (default `<cwd>/.sluice/bundles`). */
  bundleDir?: string;
  /**
   * Lines printed by a function's child process (default: passed through); in process, the
   * lines of its Sluice runtime (logs, metrics), which otherwise go to this process's stdout.
   */
  onOutput?: (fn: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** Progress while preparing (bundling...). */
  onProgress?: (message: string) => void;
  /**
   * Keep the deployment's broker, auth and store variables of serverless.yml (MSK with IAM, the
   * stack's table). Default false: locally they come from `env` (see local-environment.ts).
   */
  keepDeploymentEnvironment?: boolean;
  /** Warm instances per function, each its own child process or runtime (EmulatedFunction.instances). */
  instances?: number;
  /** Invocations at once per instance (EmulatedFunction.concurrency). */
  concurrency?: number;
}

/**
 * @example
 * const emulator = await startEmulatorFromServerless({ onProgress: console.error });
 * for (const warning of emulator.config.warnings) console.warn(warning);
 * process.once('SIGINT', () => void emulator.stop());
 * await emulator.done;
 */
export async function startEmulatorFromServerless(
  options: ServerlessEmulatorOptions = {},
): Promise<Emulator & { config: ServerlessConfig }> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const loaded = await loadServerlessConfig(resolve(cwd, options.config ?? 'serverless.yml'), {
    env,
    stage: options.stage,
  });
  const config = options.keepDeploymentEnvironment ? loaded : forLocalRun(loaded).config;
  const functions = await prepareFunctions(config, { ...options, cwd, env });
  const emulator = await startEmulator({
    ...options,
    env,
    functions,
    region: options.region ?? config.region,
  });
  return Object.assign(emulator, { config });
}

/**
 * Builds an invoker factory per function of `config` (bundling them in `bundle` mode): the
 * emulator calls it once per warm instance, so each instance gets its own child process
 * (`bundle`) or its own runtime (`in-process`).
 */
export async function prepareFunctions(
  config: ServerlessConfig,
  options: ServerlessEmulatorOptions & { cwd: string; env: NodeJS.ProcessEnv },
): Promise<EmulatedFunction[]> {
  const selected = config.functions.filter((fn) => !options.only || options.only.includes(fn.name));
  for (const name of options.only ?? []) {
    if (!config.functions.some((fn) => fn.name === name)) {
      throw new ConfigError(
        `no function "${name}" with an enabled msk/kafka event in serverless.yml (have: ${config.functions.map((f) => f.name).join(', ') || 'none'})`,
      );
    }
  }
  const brokers = (
    options.brokers ??
    options.kafka?.brokers ??
    kafkaConfigOf(configFromEnv(options.env)).brokers
  ).join(',');
  const mode = options.mode ?? 'bundle';
  const bundleDir = resolve(options.cwd, options.bundleDir ?? join('.sluice', 'bundles'));
  const runner = mode === 'bundle' ? await bundleChildRunner(bundleDir) : '';
  const prepared: EmulatedFunction[] = [];
  try {
    for (const fn of selected) {
      const entry = handlerFile(config.dir, fn);
      const report = fn.triggers.some((t) => t.reportBatchItemFailures);
      // What the deployed function sees (plus the local broker), so it behaves the same here.
      const fnEnv: NodeJS.ProcessEnv = {
        ...options.env,
        ...fn.environment,
        SLUICE_KAFKA_BROKERS: brokers,
        SLUICE_REPORT_BATCH_ITEM_FAILURES: String(report),
      };
      let invoker: InvokerFactory;
      if (mode === 'bundle') {
        options.onProgress?.(`bundling ${fn.name} (${entry})`);
        const bundle = await bundleFunction({
          entry,
          outFile: join(bundleDir, `${fn.name}.${config.esbuild.format === 'esm' ? 'mjs' : 'cjs'}`),
          format: config.esbuild.format,
          external: config.esbuild.external,
          cwd: config.dir,
        });
        invoker = (instance) =>
          createChildProcessInvoker({
            functionName: fn.lambdaName,
            bundle,
            exportName: fn.handler.export,
            runner,
            env: { ...fnEnv, ...instance.env },
            region: config.region,
            onOutput: options.onOutput && ((line, stream) => options.onOutput?.(fn.name, line, stream)),
          });
      } else {
        const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
        const handler = module[fn.handler.export];
        if (typeof handler !== 'function') {
          throw new ConfigError(
            `functions.${fn.name}.handler: ${entry} does not export a function "${fn.handler.export}"`,
          );
        }
        invoker = (instance) =>
          createInProcessInvoker(handler as KafkaHandler | LambdaFunction, {
            functionName: fn.lambdaName,
            reportBatchItemFailures: report,
            env: { ...fnEnv, ...instance.env },
            region: config.region,
            ...(options.onOutput && {
              output: { write: (line: string) => options.onOutput?.(fn.name, line, 'stdout') },
            }),
          });
      }
      const emulated: EmulatedFunction = {
        name: fn.name,
        lambdaName: fn.lambdaName,
        invoker,
        triggers: fn.triggers,
        timeoutMs: fn.timeoutMs,
      };
      if (fn.maxConcurrency !== undefined) emulated.maxConcurrency = fn.maxConcurrency;
      if (options.instances !== undefined) emulated.instances = options.instances;
      if (options.concurrency !== undefined) emulated.concurrency = options.concurrency;
      prepared.push(emulated);
    }
  } catch (error) {
    await Promise.allSettled(
      prepared.map((fn) => (typeof fn.invoker === 'function' ? undefined : fn.invoker.close())),
    );
    throw error;
  }
  return prepared;
}

const EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

function handlerFile(dir: string, fn: ServerlessFunction): string {
  const base = resolve(dir, fn.handler.module);
  const found = EXTENSIONS.map((ext) => base + ext).find((file) => existsSync(file));
  if (!found) {
    throw new ConfigError(
      `functions.${fn.name}.handler: no ${fn.handler.module}{${EXTENSIONS.join(',')}} next to serverless.yml (${dir})`,
    );
  }
  return found;
}
