import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionDefinition } from '../../lib/checkpoint/definition';
import type { KafkaConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import type { Logger } from '../../lib/core/log';
import type { KafkaHandler } from '../../lib/lambda/handler';
import { createRuntime } from '../../lib/lambda/runtime';
import { kafkaPublishers } from '../../lib/sink/kafka-from-config';
import { createLogPublisher } from '../../lib/sink/log-publisher';
import type { AnySink } from '../../lib/sink/sink';
import type { Store } from '../../lib/store/store';
import type { EmulatedFunction } from '../trigger/emulator';
import { createInProcessInvoker } from '../trigger/invoker';
import type { ServerlessConfig } from '../trigger/serverless-config';
import type { WalkthroughPlan } from './plan';

export interface RunFunctionsOptions {
  /** serverless.yml, with deployment variables removed (forLocalRun) */
  config: ServerlessConfig;
  plan: WalkthroughPlan;
  /** a store per function runtime (each is closed with its runtime) */
  makeStore(): Promise<Store>;
  /** the Kafka settings of the Kafka publishers (the CLI's typed configuration) */
  kafka: KafkaConfig | undefined;
  /** warnings and errors of the runtimes */
  log: Logger;
  /** each line a log sink prints */
  onLogLine(fn: string, text: string): void;
}

export interface RunFunction {
  /** the definition as run: topics renamed for this run */
  definition: FunctionDefinition;
  emulated: EmulatedFunction;
}

/**
 * The functions of serverless.yml as the walkthrough runs them: each function's own
 * definition (serdes, state, sinks, process) with this run's topic names, in process, through
 * the trigger emulator, with runtimes whose log-sink lines come back to the walkthrough.
 */
export async function walkthroughFunctions(options: RunFunctionsOptions): Promise<Map<string, RunFunction>> {
  const { config, plan } = options;
  const functions = new Map<string, RunFunction>();
  for (const fn of config.functions) {
    const handler = await importHandler(config.dir, fn.handler.module, fn.handler.export, fn.name);
    const definition = withTopics(handler.definition, plan.topic);
    const triggers = fn.triggers.map((t) => ({
      ...t,
      topic: plan.topic(t.topic),
      consumerGroupId: plan.group(t.consumerGroupId),
      ...(t.onFailureTopic !== undefined && { onFailureTopic: plan.topic(t.onFailureTopic) }),
    }));
    for (const t of triggers) {
      if (t.topic !== definition.source.topic) {
        throw new ConfigError(
          `${fn.name}: its trigger reads ${t.topic} but the function reads ${definition.source.topic}`,
        );
      }
    }
    const sinkLog: Logger = {
      debug() {},
      info: (message) => options.onLogLine(fn.name, message),
      warn: (message, fields) => options.log.warn(message, fields),
      error: (message, fields) => options.log.error(message, fields),
    };
    const invoker = createInProcessInvoker(
      Object.assign(async () => undefined, { definition }) as KafkaHandler,
      {
        functionName: fn.lambdaName,
        reportBatchItemFailures: triggers.some((t) => t.reportBatchItemFailures),
        region: config.region,
        getRuntime: async () =>
          createRuntime({
            store: await options.makeStore(),
            publishers: {
              ...kafkaPublishers(options.kafka, { log: options.log }),
              log: createLogPublisher(sinkLog),
            },
            log: options.log,
          }),
      },
    );
    const emulated: EmulatedFunction = {
      name: fn.name,
      lambdaName: fn.lambdaName,
      invoker,
      triggers,
      timeoutMs: fn.timeoutMs,
    };
    if (fn.maxConcurrency !== undefined) emulated.maxConcurrency = fn.maxConcurrency;
    functions.set(fn.name, { definition, emulated });
  }
  return functions;
}

/** A definition reading and writing renamed Kafka topics; everything else is the function's own. */
export function withTopics(
  definition: FunctionDefinition,
  rename: (topic: string) => string,
): FunctionDefinition {
  const sinks: Record<string, AnySink> = {};
  for (const [name, sink] of Object.entries(definition.sinks)) {
    sinks[name] = sink.kind === 'kafka' ? { ...sink, target: rename(sink.target) } : sink;
  }
  return { ...definition, source: { ...definition.source, topic: rename(definition.source.topic) }, sinks };
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

async function importHandler(
  dir: string,
  module: string,
  exportName: string,
  fn: string,
): Promise<KafkaHandler> {
  const base = resolve(dir, module);
  const file = EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate));
  if (!file)
    throw new ConfigError(`functions.${fn}.handler: no ${module}{${EXTENSIONS.join(',')}} in ${dir}`);
  const handler = ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[exportName] as
    | KafkaHandler
    | undefined;
  if (typeof handler !== 'function' || typeof handler.definition !== 'object') {
    throw new ConfigError(
      `functions.${fn}.handler: ${file} does not export "${exportName}" made by defineFunction`,
    );
  }
  return handler;
}
