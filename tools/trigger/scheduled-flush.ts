/**
 * The emulator's stand-in for the EventBridge schedule the serverless plugin gives every Kafka
 * function: every interval, each function is invoked with the flush event ({"sluice":"flush"}),
 * through its instance pool like any invocation, so idle partitions' outboxes are published and
 * confirmed without waiting for the next record (lib/checkpoint/flush.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/core/log';
import { FLUSH_EVENT } from '../../lib/lambda/scheduled-flush';
import type { Invoker } from './invoker';

/** Deployed, the schedule runs every 5 minutes; locally a shorter beat shows outputs sooner. */
export const DEFAULT_FLUSH_INTERVAL_MS = 30_000;

export interface ScheduledFlushStats {
  /** flush invocations that succeeded / failed, all functions together */
  flushes: number;
  flushFailures: number;
}

export function startScheduledFlush(options: {
  functions: Array<{ name: string; invoker: Invoker; timeoutMs: number }>;
  intervalMs: number;
  log: Logger;
}) {
  const stats: ScheduledFlushStats = { flushes: 0, flushFailures: 0 };
  const running = new Set<Promise<void>>();
  const eventJson = JSON.stringify(FLUSH_EVENT);

  async function flush(fn: (typeof options.functions)[number]): Promise<void> {
    const outcome = await fn.invoker.invoke({ eventJson, requestId: randomUUID(), timeoutMs: fn.timeoutMs });
    if (outcome.ok) {
      stats.flushes += 1;
      options.log.debug(`${fn.name}: scheduled flush`, { report: outcome.response });
    } else {
      stats.flushFailures += 1;
      options.log.warn(`${fn.name}: scheduled flush failed (the next one retries)`, {
        error: outcome.error.errorMessage,
      });
    }
  }

  const timer =
    options.intervalMs > 0
      ? setInterval(() => {
          for (const fn of options.functions) {
            const run = flush(fn).finally(() => running.delete(run));
            running.add(run);
          }
        }, options.intervalMs)
      : undefined;
  timer?.unref();

  return {
    stats: () => ({ ...stats }),
    /** Stops the beat and waits for flushes in flight (before the invokers close). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
