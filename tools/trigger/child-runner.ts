/**
 * The program a child invoker forks: it loads the function's esbuild bundle — the artifact that
 * deploys — and calls its handler for each event received over IPC, like Lambda's Node.js
 * runtime calls it (parsed event, context object; the returned value serialised as JSON).
 * Bundled itself by bundle.ts, so the child runs plain `node` without TypeScript tooling.
 *
 * Uncaught errors end the process, as they end a Lambda sandbox; the parent starts a new one.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHILD_ENV, type ChildMemory, type ChildMessage, type ParentMessage } from './child-protocol';
import { emulatedContext, errorOutcome } from './lambda-context';

type Handler = (event: unknown, context: unknown) => unknown;

/** `process.memoryUsage()` reads /proc: sampled, not per invocation (it is for the stats line). */
const MEMORY_SAMPLE_MS = 500;
let memorySampledAt = Number.NEGATIVE_INFINITY;

function memorySample(): ChildMemory | undefined {
  const now = Date.now();
  if (now - memorySampledAt < MEMORY_SAMPLE_MS) return undefined;
  memorySampledAt = now;
  return process.memoryUsage();
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function load(): Promise<Handler> {
  const bundle = process.env[CHILD_ENV.bundle];
  const exportName = process.env[CHILD_ENV.exportName] ?? 'handler';
  if (!bundle) throw new Error(`${CHILD_ENV.bundle} is not set: start this runner through the child invoker`);
  const loaded = (
    bundle.endsWith('.mjs')
      ? await import(pathToFileURL(bundle).href)
      : createRequire(join(process.cwd(), 'noop.js'))(bundle)
  ) as Record<string, unknown> & { default?: Record<string, unknown> };
  const handler = loaded[exportName] ?? loaded.default?.[exportName];
  if (typeof handler !== 'function') {
    const error = new Error(`${bundle} does not export a function "${exportName}"`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return handler as Handler;
}

async function main(): Promise<void> {
  const functionName = process.env[CHILD_ENV.functionName] ?? 'function';
  const region = process.env[CHILD_ENV.region] ?? 'us-east-1';
  let handler: Handler;
  try {
    handler = await load();
  } catch (error) {
    send({ type: 'init-error', error: errorOutcome(error) });
    return;
  }
  process.on('message', async (message: ParentMessage) => {
    if (message?.type !== 'invoke') return;
    const context = emulatedContext(functionName, region, message.requestId, message.deadline);
    let result: ChildMessage;
    try {
      const response = await handler(JSON.parse(message.eventJson), context);
      result = {
        type: 'result',
        id: message.id,
        ok: true,
        responseJson: JSON.stringify(response ?? null),
        memory: memorySample(),
      };
    } catch (error) {
      result = {
        type: 'result',
        id: message.id,
        ok: false,
        error: errorOutcome(error),
        memory: memorySample(),
      };
    }
    send(result);
  });
  // The parent went away: end with it, as a sandbox ends with its ESM.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

void main();
