/**
 * Warm Lambda instances of one function. Lambda hands each invocation to any free warm instance,
 * with no partition affinity, so an instance's warm checkpoint of a partition can be stale; and
 * Lambda Managed Instances run several invocations at once in one process
 * (`AWS_LAMBDA_MAX_CONCURRENCY`). The pool reproduces both: N invokers, each with its own runtime
 * (its own warm caches) or its own child process, up to `concurrency` invocations at once on
 * each; an invocation goes to a free instance chosen at random (seeded), and waits, first come
 * first served, while none has a free slot.
 */

import { ConfigError } from '../../lib/core/errors';
import { mulberry32 } from '../../lib/core/random';
import type { InvokeOutcome, InvokeRequest, Invoker } from './invoker';

/** What the pool tells a new instance's invoker. */
export interface InstanceSpec {
  /** 0-based. */
  index: number;
  /**
   * Variables Lambda sets in the instance's environment: `AWS_LAMBDA_MAX_CONCURRENCY` when a
   * per-instance concurrency was given (Managed Instances), nothing otherwise.
   */
  env: Record<string, string>;
}

/** Builds one warm instance's invoker; it must not share a runtime or a process with another. */
export type InvokerFactory = (instance: InstanceSpec) => Invoker;

export interface InstancePoolOptions {
  /** Warm instances (default 1). */
  instances?: number;
  /**
   * Invocations at once per instance (Managed Instances). Default: unbounded with one instance
   * and no `instances` given (one process serving every partition at once, as the emulator did
   * before instances existed); 1 otherwise (a classic Lambda instance runs one at a time).
   */
  concurrency?: number;
  /** Seeds the choice among free instances (default 1), so a run is reproducible. */
  seed?: number;
}

/** One instance's numbers, for stats and tests. */
export interface InstanceStats {
  /** Invocations started on this instance. */
  invocations: number;
  /** Of those, the ones that failed (error, timeout, crash). */
  errors: number;
  /** In flight now. */
  active: number;
}

export interface InstancePool extends Invoker {
  /** Per instance, in instance order. */
  instances(): InstanceStats[];
  /** Invocations at once per instance (Infinity: unbounded). */
  readonly concurrency: number;
}

/** The default seed of the instance choice (printed by `sluice dev`, so a run can be replayed). */
export const DEFAULT_INSTANCE_SEED = 1;

/**
 * @example
 * const pool = createInstancePool((instance) => createInProcessInvoker(sum, { env: { ...process.env, ...instance.env } }),
 *   { instances: 3, seed: 7 });
 * await pool.invoke({ eventJson, requestId: randomUUID(), timeoutMs: 6000 });
 * pool.instances(); // [{ invocations: 1, errors: 0, active: 0 }, { invocations: 0, ... }, ...]
 */
export function createInstancePool(factory: InvokerFactory, options: InstancePoolOptions = {}): InstancePool {
  const count = options.instances ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`instances must be a whole number >= 1, got ${count}`);
  }
  const concurrency = options.concurrency ?? (options.instances === undefined ? Number.POSITIVE_INFINITY : 1);
  if (!(Number.isInteger(concurrency) || concurrency === Number.POSITIVE_INFINITY) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number >= 1, got ${concurrency}`);
  }
  const env: Record<string, string> =
    options.concurrency === undefined ? {} : { AWS_LAMBDA_MAX_CONCURRENCY: String(concurrency) };
  const random = mulberry32(options.seed ?? DEFAULT_INSTANCE_SEED);
  const invokers = Array.from({ length: count }, (_, index) => factory({ index, env: { ...env } }));
  const stats: InstanceStats[] = invokers.map(() => ({ invocations: 0, errors: 0, active: 0 }));
  const waiting: Array<(index: number) => void> = [];

  function pickFree(): number | null {
    const free: number[] = [];
    for (let i = 0; i < count; i++) if (stats[i]!.active < concurrency) free.push(i);
    if (free.length === 0) return null;
    return free[Math.floor(random() * free.length)]!;
  }

  function acquire(): Promise<number> {
    const index = waiting.length === 0 ? pickFree() : null;
    if (index !== null) {
      stats[index]!.active++;
      return Promise.resolve(index);
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function release(index: number): void {
    stats[index]!.active--;
    const next = waiting.shift();
    if (!next) return;
    // The freed slot goes to the longest waiter, on any free instance (not necessarily this one).
    const chosen = pickFree()!;
    stats[chosen]!.active++;
    next(chosen);
  }

  async function invoke(request: InvokeRequest): Promise<InvokeOutcome> {
    const index = await acquire();
    const instance = stats[index]!;
    instance.invocations++;
    try {
      const outcome = await invokers[index]!.invoke(request);
      if (!outcome.ok) instance.errors++;
      return outcome;
    } catch (error) {
      instance.errors++;
      throw error;
    } finally {
      release(index);
    }
  }

  return {
    invoke,
    async close() {
      const results = await Promise.allSettled(invokers.map((invoker) => invoker.close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    /** The largest instance's: a memory limit is per instance. */
    memory() {
      let largest: NodeJS.MemoryUsage | null = null;
      for (const invoker of invokers) {
        const m = invoker.memory();
        if (m && (!largest || m.rss > largest.rss)) largest = m;
      }
      return largest;
    },
    instances: () => stats.map((s) => ({ ...s })),
    concurrency,
  };
}

/**
 * The pool of an emulated function: from a factory, `instances` invokers; from one invoker, a
 * pool of that one instance (several instances need a factory: they must not share a runtime).
 */
export function instancePoolFor(
  name: string,
  invoker: Invoker | InvokerFactory,
  options: InstancePoolOptions,
): InstancePool {
  if (typeof invoker === 'function') return createInstancePool(invoker, options);
  if ((options.instances ?? 1) > 1) {
    throw new ConfigError(
      `${name}: ${options.instances} instances need one invoker each: give EmulatedFunction.invoker as a factory ((instance) => Invoker)`,
    );
  }
  return createInstancePool(() => invoker, options);
}
