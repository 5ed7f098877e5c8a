/**
 * Runs the function's deployable bundle in a child process (a local Lambda sandbox): forked with
 * the function's environment, loaded once (cold start), then invoked over IPC with the event JSON.
 * A timeout or a crash kills the child, as Lambda discards a sandbox; the next invocation starts
 * a new one. One child serves a function's concurrent invocations (different partitions), like
 * one warm Node.js process; Lambda would use one sandbox per concurrent invocation.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CHILD_ENV, type ChildMessage, type ParentMessage } from './child-protocol';
import type { InvokeOutcome, Invoker } from './invoker';
import { type InvokeError, timeoutError } from './lambda-context';

export interface ChildInvokerOptions {
  functionName: string;
  /** The function bundle (absolute path, `.cjs` or `.mjs`). */
  bundle: string;
  /** Default `handler`. */
  exportName?: string;
  /** The bundled child runner (bundleChildRunner). */
  runner: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  region?: string;
  /**
   * Each line the function prints; default: passed through to this process's stdout/stderr.
   * `'discard'` sends it to /dev/null (benchmarks: the function still writes every line).
   */
  onOutput?: ((line: string, stream: 'stdout' | 'stderr') => void) | 'discard';
  /** Loading the bundle (cold start) longer than this fails the invocation. Default 30 s. */
  initTimeoutMs?: number;
}

/** Lambda's init phase is capped at 10 s; a local machine under test load gets more slack. */
const DEFAULT_INIT_TIMEOUT_MS = 30_000;

interface Sandbox {
  child: ChildProcess;
  ready: Promise<InvokeError | null>;
  pending: Map<number, (outcome: InvokeOutcome) => void>;
  exited: Promise<void>;
}

/**
 * @example
 * const runner = await bundleChildRunner('.sluice/bundles');
 * const bundle = await bundleFunction({ entry: resolve('functions/word-count.ts'), outFile: resolve('.sluice/bundles/word-count.cjs') });
 * const invoker = createChildProcessInvoker({ functionName: 'word-count', bundle, runner, env: { ...process.env, SLUICE_STORE: 'file' } });
 */
export function createChildProcessInvoker(
  options: ChildInvokerOptions,
): Invoker & { pid(): number | undefined } {
  let sandbox: Sandbox | null = null;
  let nextId = 1;
  let memory: NodeJS.MemoryUsage | null = null;
  let closed = false;

  function start(): Sandbox {
    const child = fork(options.runner, [], {
      env: {
        ...(options.env ?? process.env),
        [CHILD_ENV.bundle]: options.bundle,
        [CHILD_ENV.exportName]: options.exportName ?? 'handler',
        [CHILD_ENV.functionName]: options.functionName,
        [CHILD_ENV.region]: options.region ?? 'us-east-1',
      },
      // Plain node: no loader flags inherited from a tsx/vitest parent.
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', ...childOutput(options.onOutput), 'ipc'],
      serialization: 'json',
    });
    if (typeof options.onOutput === 'function') {
      const onOutput = options.onOutput;
      if (child.stdout)
        createInterface({ input: child.stdout }).on('line', (line) => onOutput(line, 'stdout'));
      if (child.stderr)
        createInterface({ input: child.stderr }).on('line', (line) => onOutput(line, 'stderr'));
    }
    const pending = new Map<number, (outcome: InvokeOutcome) => void>();
    let markReady: (error: InvokeError | null) => void = () => {};
    const ready = new Promise<InvokeError | null>((resolve) => {
      markReady = resolve;
    });
    const initTimer = setTimeout(() => {
      markReady({ errorType: 'Runtime.InitTimeout', errorMessage: `${options.bundle} did not load in time` });
      child.kill('SIGKILL');
    }, options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(initTimer);
        markReady(null);
      } else if (message.type === 'init-error') {
        clearTimeout(initTimer);
        markReady(message.error);
        // The next invocation tries a fresh load (the code may have been fixed and rebundled).
        if (sandbox?.child === child) sandbox = null;
        child.kill('SIGKILL');
      } else if (message.type === 'result') {
        if (message.memory) memory = message.memory as NodeJS.MemoryUsage;
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(
          message.ok
            ? { ok: true, response: JSON.parse(message.responseJson ?? 'null') }
            : { ok: false, error: message.error ?? { errorType: 'Error', errorMessage: 'unknown error' } },
        );
      }
    });
    const exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        clearTimeout(initTimer);
        const error = {
          errorType: 'Runtime.ExitError',
          errorMessage: `the function's process exited (${signal ?? `code ${code}`}) during the invocation`,
        };
        markReady(error);
        for (const resolvePending of pending.values()) resolvePending({ ok: false, error });
        pending.clear();
        if (sandbox?.child === child) sandbox = null;
        resolve();
      });
    });
    child.on('error', () => {});
    return { child, ready, pending, exited };
  }

  return {
    async invoke(request) {
      if (closed)
        return { ok: false, error: { errorType: 'Runtime.Closed', errorMessage: 'invoker closed' } };
      sandbox ??= start();
      const current = sandbox;
      const initError = await current.ready;
      if (initError) return { ok: false, error: initError };
      const id = nextId++;
      return new Promise<InvokeOutcome>((resolve) => {
        const timer = setTimeout(() => {
          current.pending.delete(id);
          resolve({ ok: false, error: timeoutError(request.timeoutMs) });
          // A timed-out sandbox is not reused (Lambda resets it).
          if (sandbox === current) sandbox = null;
          current.child.kill('SIGKILL');
        }, request.timeoutMs);
        current.pending.set(id, (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        });
        const message: ParentMessage = {
          type: 'invoke',
          id,
          eventJson: request.eventJson,
          requestId: request.requestId,
          deadline: Date.now() + request.timeoutMs,
        };
        current.child.send(message, (error) => {
          if (error)
            current.pending.get(id)?.({
              ok: false,
              error: { errorType: 'Runtime.IpcError', errorMessage: error.message },
            });
        });
      });
    },
    async close() {
      closed = true;
      const current = sandbox;
      sandbox = null;
      if (!current) return;
      if (current.child.connected) current.child.disconnect();
      const killer = setTimeout(() => current.child.kill('SIGKILL'), 2_000);
      await current.exited;
      clearTimeout(killer);
    },
    memory: () => memory,
    pid: () => sandbox?.child.pid,
  };
}

function childOutput(
  onOutput: ChildInvokerOptions['onOutput'],
): ['pipe' | 'inherit' | 'ignore', 'pipe' | 'inherit' | 'ignore'] {
  if (onOutput === 'discard') return ['ignore', 'ignore'];
  return onOutput ? ['pipe', 'pipe'] : ['inherit', 'inherit'];
}
