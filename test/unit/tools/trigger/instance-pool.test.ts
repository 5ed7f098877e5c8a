import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import {
  createInstancePool,
  type InstanceSpec,
  instancePoolFor,
} from '../../../../tools/trigger/instance-pool';
import type { InvokeOutcome, InvokeRequest, Invoker } from '../../../../tools/trigger/invoker';

/** An instance whose invocations finish when the test says so; it records what it ran. */
function manualInstance(spec: InstanceSpec) {
  const calls: Array<{ request: InvokeRequest; finish(outcome?: InvokeOutcome): void }> = [];
  let active = 0;
  let maxActive = 0;
  let closed = false;
  const invoker: Invoker = {
    invoke(request) {
      active++;
      maxActive = Math.max(maxActive, active);
      return new Promise((resolve) => {
        calls.push({
          request,
          finish(outcome = { ok: true, response: null }) {
            active--;
            resolve(outcome);
          },
        });
      });
    },
    async close() {
      closed = true;
    },
    memory: () => null,
  };
  return {
    spec,
    invoker,
    calls,
    get maxActive() {
      return maxActive;
    },
    get closed() {
      return closed;
    },
  };
}

type Manual = ReturnType<typeof manualInstance>;

function pool(options: Parameters<typeof createInstancePool>[1]) {
  const instances: Manual[] = [];
  const created = createInstancePool((spec) => {
    const instance = manualInstance(spec);
    instances.push(instance);
    return instance.invoker;
  }, options);
  return { pool: created, instances };
}

const request = (requestId: string): InvokeRequest => ({ eventJson: '{}', requestId, timeoutMs: 1_000 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Which instance ran each request id. */
function placement(instances: Manual[]): Map<string, number> {
  const where = new Map<string, number>();
  instances.forEach((instance, i) => {
    for (const call of instance.calls) where.set(call.request.requestId, i);
  });
  return where;
}

/** Finishes every call in flight, once. */
function finishAll(instances: Manual[], done: Set<string>) {
  for (const instance of instances) {
    for (const call of instance.calls) {
      if (done.has(call.request.requestId)) continue;
      done.add(call.request.requestId);
      call.finish();
    }
  }
}

describe('instance pool', () => {
  it('spreads invocations over every instance with a seeded choice, without partition affinity', async () => {
    const run = async (seed: number) => {
      const { pool: p, instances } = pool({ instances: 3, seed });
      const done = new Set<string>();
      // 3 partitions, 12 batches each, one batch per partition in flight at a time (as the
      // trigger does): each round invokes the next batch of every partition, then finishes them.
      for (let batch = 0; batch < 12; batch++) {
        const round = [0, 1, 2].map((partition) => p.invoke(request(`p${partition}-b${batch}`)));
        await tick();
        finishAll(instances, done);
        await Promise.all(round);
      }
      return { p, where: placement(instances) };
    };
    const { p, where } = await run(7);
    const counts = p.instances().map((s) => s.invocations);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(36);
    for (const count of counts) expect(count).toBeGreaterThan(0);
    expect(p.instances().map((s) => s.active)).toEqual([0, 0, 0]);
    for (const partition of [0, 1, 2]) {
      const sequence = Array.from({ length: 12 }, (_, b) => where.get(`p${partition}-b${b}`));
      // No affinity: a partition's consecutive batches move between instances.
      const moves = sequence.filter((instance, i) => i > 0 && instance !== sequence[i - 1]).length;
      expect(moves, `partition ${partition}: ${sequence.join(',')}`).toBeGreaterThan(0);
      expect(new Set(sequence).size).toBeGreaterThan(1);
    }
    // Seeded: the same seed places every batch the same way; another seed differently.
    expect((await run(7)).where).toEqual(where);
    expect((await run(8)).where).not.toEqual(where);
  });

  it('runs at most `concurrency` invocations per instance and makes the rest wait, first come first served', async () => {
    const { pool: p, instances } = pool({ instances: 2, concurrency: 2, seed: 3 });
    const order: string[] = [];
    const invocations = Array.from({ length: 7 }, (_, i) =>
      p.invoke(request(`r${i}`)).then(() => order.push(`r${i}`)),
    );
    await tick();
    const started = () => instances.flatMap((instance) => instance.calls.map((c) => c.request.requestId));
    expect(started().sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(p.instances().map((s) => s.active)).toEqual([2, 2]);

    // Freeing one slot lets exactly the oldest waiter in.
    instances[1]!.calls[0]!.finish();
    await tick();
    expect(started().sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);

    const done = new Set([instances[1]!.calls[0]!.request.requestId]);
    while (done.size < 7) {
      finishAll(instances, done);
      await tick();
    }
    await Promise.all(invocations);
    expect(order).toHaveLength(7);
    for (const instance of instances) expect(instance.maxActive).toBe(2);
    expect(p.instances().map((s) => s.invocations)).toEqual(instances.map((i) => i.calls.length));
  });

  it('counts failed invocations per instance and returns each instance its outcome', async () => {
    const { pool: p, instances } = pool({ instances: 1 });
    const failed = p.invoke(request('a'));
    await tick();
    instances[0]!.calls[0]!.finish({ ok: false, error: { errorType: 'Error', errorMessage: 'boom' } });
    expect(await failed).toEqual({ ok: false, error: { errorType: 'Error', errorMessage: 'boom' } });
    expect(p.instances()).toEqual([{ invocations: 1, errors: 1, active: 0 }]);
  });

  it('sets AWS_LAMBDA_MAX_CONCURRENCY only when a per-instance concurrency is given', () => {
    expect(pool({ instances: 2, concurrency: 4 }).instances.map((i) => i.spec)).toEqual([
      { index: 0, env: { AWS_LAMBDA_MAX_CONCURRENCY: '4' } },
      { index: 1, env: { AWS_LAMBDA_MAX_CONCURRENCY: '4' } },
    ]);
    expect(pool({ instances: 2 }).instances.map((i) => i.spec.env)).toEqual([{}, {}]);
    expect(pool({ instances: 2 }).pool.concurrency).toBe(1);
  });

  it('keeps the single unbounded instance by default (every partition at once in one process)', async () => {
    const { pool: p, instances } = pool({});
    expect(p.concurrency).toBe(Number.POSITIVE_INFINITY);
    const all = Array.from({ length: 20 }, (_, i) => p.invoke(request(`r${i}`)));
    await tick();
    expect(instances).toHaveLength(1);
    expect(instances[0]!.calls).toHaveLength(20);
    finishAll(instances, new Set());
    await Promise.all(all);
  });

  it('closes every instance', async () => {
    const { pool: p, instances } = pool({ instances: 3 });
    await p.close();
    expect(instances.map((i) => i.closed)).toEqual([true, true, true]);
  });

  it('rejects bad sizes, and several instances sharing one invoker', () => {
    expect(() => pool({ instances: 0 })).toThrow('instances must be a whole number >= 1, got 0');
    expect(() => pool({ concurrency: 1.5 })).toThrow('concurrency must be a whole number >= 1, got 1.5');
    const shared = manualInstance({ index: 0, env: {} }).invoker;
    expect(() => instancePoolFor('sum', shared, { instances: 2 })).toThrow(ConfigError);
    expect(instancePoolFor('sum', shared, {}).instances()).toHaveLength(1);
  });
});
