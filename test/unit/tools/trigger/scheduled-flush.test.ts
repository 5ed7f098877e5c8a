import { expect, it, vi } from 'vitest';
import { silentLogger } from '../../../../lib/core/log';
import type { InvokeRequest, Invoker } from '../../../../tools/trigger/invoker';
import { startScheduledFlush } from '../../../../tools/trigger/scheduled-flush';

function fakeInvoker(ok: boolean) {
  const requests: InvokeRequest[] = [];
  const invoker: Invoker = {
    async invoke(request) {
      requests.push(request);
      return ok
        ? { ok: true, response: { confirmed: 1 } }
        : { ok: false, error: { errorType: 'Error', errorMessage: 'no broker', trace: [] } };
    },
    async close() {},
    memory: () => null,
  };
  return { invoker, requests };
}

it('invokes every function with the flush event on each beat, counting failures, until stopped', async () => {
  vi.useFakeTimers();
  try {
    const good = fakeInvoker(true);
    const bad = fakeInvoker(false);
    const flush = startScheduledFlush({
      functions: [
        { name: 'a', invoker: good.invoker, timeoutMs: 6000 },
        { name: 'b', invoker: bad.invoker, timeoutMs: 6000 },
      ],
      intervalMs: 1000,
      log: silentLogger,
    });
    await vi.advanceTimersByTimeAsync(3500);
    await flush.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(good.requests.map((r) => JSON.parse(r.eventJson))).toEqual([
      { sluice: 'flush' },
      { sluice: 'flush' },
      { sluice: 'flush' },
    ]);
    expect(bad.requests).toHaveLength(3);
    expect(flush.stats()).toEqual({ flushes: 3, flushFailures: 3 });
  } finally {
    vi.useRealTimers();
  }
});

it('never runs with an interval of 0', async () => {
  const { invoker, requests } = fakeInvoker(true);
  const flush = startScheduledFlush({
    functions: [{ name: 'a', invoker, timeoutMs: 1 }],
    intervalMs: 0,
    log: silentLogger,
  });
  await flush.stop();
  expect(requests).toHaveLength(0);
});
