/**
 * How the emulator calls a function: an `Invoker` takes the event JSON exactly as Lambda would
 * send it and returns the function's response or error. Two implementations share it: in this
 * process (fast, for tests and `--in-process`) and the deployable esbuild bundle in a child
 * process (child-invoker.ts).
 */

import { configFromEnv, type SluiceConfig } from '../../lib/core/config';
import { createHandler, type KafkaHandler } from '../../lib/lambda/handler';
import { type Runtime, type RuntimeOutput, runtimeFromConfig } from '../../lib/lambda/runtime';
import {
  type EmulatedContext,
  emulatedContext,
  errorOutcome,
  type InvokeError,
  timeoutError,
} from './lambda-context';

export type { EmulatedContext } from './lambda-context';

/** A function's answer to one invocation. */
export type InvokeOutcome = { ok: true; response: unknown } | { ok: false; error: InvokeError };

export interface InvokeRequest {
  /** The event, serialised as Lambda sends it. */
  eventJson: string;
  /** Lambda's `context.awsRequestId`. */
  requestId: string;
  /** Function timeout: past it the invocation fails with `Sandbox.Timedout`. */
  timeoutMs: number;
}

export interface Invoker {
  invoke(request: InvokeRequest): Promise<InvokeOutcome>;
  /** Frees what the invoker holds (runtime, child process). */
  close(): Promise<void>;
  /** Memory of the process running the function (the child's, for a child invoker). */
  memory(): NodeJS.MemoryUsage | null;
}

/** A plain Lambda handler (no Sluice definition): called as it is. */
export type LambdaFunction = (event: unknown, context: EmulatedContext) => unknown;

export interface InProcessInvokerOptions {
  /** For the context object. */
  functionName?: string;
  /**
   * For Sluice handlers: answer with a partial batch response instead of failing (what
   * SLUICE_REPORT_BATCH_ITEM_FAILURES does when deployed). Take it from the trigger's
   * `reportBatchItemFailures`, so the function and the emulated ESM agree.
   */
  reportBatchItemFailures?: boolean;
  /** For Sluice handlers: the runtime (store, publishers, log). Default: from `config`. */
  getRuntime?: () => Promise<Runtime>;
  /** For Sluice handlers: the typed configuration of the default runtime. Default: from `env`. */
  config?: SluiceConfig;
  /**
   * The function's environment, as Lambda would give it, when no `config` is given: the default
   * runtime's configuration is built from it, as at a cold start (default `process.env`).
   */
  env?: NodeJS.ProcessEnv;
  /** Default 'us-east-1' (for the context's ARN). */
  region?: string;
  /** For the default runtime: where its log and metric lines go (default stdout, as on Lambda). */
  output?: RuntimeOutput;
}

/**
 * Calls a handler in this process. A Sluice handler (`defineFunction`) is rebuilt from its
 * definition with this invoker's runtime and partial-response setting; any other function is
 * called as it is. The event is parsed from the JSON Lambda would send; the response goes
 * through JSON too, as Lambda serialises it.
 *
 * A timed-out invocation is reported as failed, but its promise keeps running in this process
 * (Lambda would freeze it): Sluice fences such zombies through its checkpoint versions.
 *
 * @example
 * const invoker = createInProcessInvoker(wordCount, { reportBatchItemFailures: true });
 * const outcome = await invoker.invoke({ eventJson, requestId: randomUUID(), timeoutMs: 6000 });
 */
export function createInProcessInvoker(target: LambdaFunction, options?: InProcessInvokerOptions): Invoker;
export function createInProcessInvoker(target: KafkaHandler, options?: InProcessInvokerOptions): Invoker;
export function createInProcessInvoker(
  target: KafkaHandler | LambdaFunction,
  options: InProcessInvokerOptions = {},
): Invoker {
  const functionName = options.functionName ?? ('definition' in target ? target.definition.name : 'function');
  let runtime: Promise<Runtime> | undefined;
  const getRuntime = () => {
    runtime ??= (
      options.getRuntime ??
      (() => runtimeFromConfig(options.config ?? configFromEnv(options.env ?? process.env), options.output))
    )();
    return runtime;
  };
  const handler: LambdaFunction =
    'definition' in target
      ? createHandler(target.definition, getRuntime, {
          reportBatchItemFailures: options.reportBatchItemFailures ?? false,
        })
      : target;
  const region = options.region ?? 'us-east-1';

  return {
    async invoke(request) {
      const deadline = Date.now() + request.timeoutMs;
      const context = emulatedContext(functionName, region, request.requestId, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<InvokeOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, error: timeoutError(request.timeoutMs) }),
          request.timeoutMs,
        );
      });
      const called = (async (): Promise<InvokeOutcome> => {
        try {
          const response = await handler(JSON.parse(request.eventJson), context);
          return { ok: true, response: response === undefined ? null : JSON.parse(JSON.stringify(response)) };
        } catch (error) {
          return { ok: false, error: errorOutcome(error) };
        }
      })();
      try {
        return await Promise.race([called, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const started = runtime;
      runtime = undefined;
      if (started) await (await started.catch(() => null))?.close();
    },
    memory: () => process.memoryUsage(),
  };
}
