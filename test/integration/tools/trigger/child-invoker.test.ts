import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { bundleChildRunner, bundleFunction } from '../../../../tools/trigger/bundle';
import { createChildProcessInvoker } from '../../../../tools/trigger/child-invoker';

async function echoInvoker() {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-child-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const bundle = await bundleFunction({
    entry: resolve(import.meta.dirname, 'fixtures/echo.ts'),
    outFile: join(dir, 'echo.cjs'),
  });
  const runner = await bundleChildRunner(dir);
  const invoker = createChildProcessInvoker({
    functionName: 'svc-dev-echo',
    bundle,
    runner,
    env: { PATH: process.env.PATH, ECHO_ENV: 'from-serverless-yml' },
    onOutput: () => {},
  });
  onTestFinished(() => invoker.close());
  return invoker;
}

const call = (invoker: Awaited<ReturnType<typeof echoInvoker>>, event: unknown, timeoutMs = 5_000) =>
  invoker.invoke({ eventJson: JSON.stringify(event), requestId: 'req-1', timeoutMs });

describe('child-process invoker', () => {
  it('invokes the bundle in its own process with the function’s environment and a Lambda context', async () => {
    const invoker = await echoInvoker();
    const outcome = await call(invoker, { hello: 'world' });
    expect(outcome.ok).toBe(true);
    const response = (outcome as { response: Record<string, unknown> }).response;
    expect(response).toMatchObject({
      event: { hello: 'world' },
      requestId: 'req-1',
      functionName: 'svc-dev-echo',
      env: 'from-serverless-yml',
    });
    expect(response.pid).not.toBe(process.pid);
    expect(response.remaining).toBeGreaterThan(4_000);
    expect(invoker.memory()?.rss).toBeGreaterThan(0);
    expect(invoker.memory()!.rss).toBeLessThan(256 * 1024 * 1024);
  });

  it('reports errors as Lambda does, kills a timed-out or crashed sandbox and starts a new one', async () => {
    const invoker = await echoInvoker();
    expect(await call(invoker, { throw: 'nope' })).toEqual({
      ok: false,
      error: { errorType: 'RangeError', errorMessage: 'nope' },
    });
    const first = invoker.pid();
    expect(await call(invoker, { sleep: 2_000 }, 100)).toEqual({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.10 seconds' },
    });
    const crashed = await call(invoker, { exit: 3 });
    expect(crashed).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    const again = await call(invoker, { n: 1 });
    expect(again.ok).toBe(true);
    expect(invoker.pid()).not.toBe(first);
  });
});
