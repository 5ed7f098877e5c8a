import type { Coordinator } from '../checkpoint/coordinator';
import type { FunctionDefinition } from '../checkpoint/definition';
import type { FlushReport } from '../checkpoint/flush';
import type { TickReport } from '../checkpoint/tick';

/**
 * The event that runs the scheduled flush (checkpoint/flush.ts) instead of a batch: EventBridge's
 * "Scheduled Event" (what the serverless plugin's schedule sends), or `{"sluice":"flush"}` for a
 * flush invoked by hand (`aws lambda invoke --payload '{"sluice":"flush"}'`, the emulator).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export const FLUSH_EVENT = { sluice: 'flush' } as const;

export function isScheduledFlush(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') || e.sluice === 'flush';
}

/** What the scheduled event returns: the flush's report, with the tick's (functions that keep time). */
export type ScheduledReport = FlushReport & { tick?: TickReport };

/**
 * The scheduled event: the outbox flush of idle tasks (checkpoint/flush.ts), then the tick
 * (checkpoint/tick.ts) that fires due processing-time timers and advances idle tasks' time. The
 * tick runs even when the flush failed for some task; the first failure is thrown after both.
 */
export async function runScheduled(
  coordinator: Coordinator,
  definition: FunctionDefinition,
): Promise<ScheduledReport> {
  // One after the other: run together, they would only fence each other on the same tasks.
  const [flush] = await Promise.allSettled([coordinator.flushIdle(definition)]);
  const [tick] = await Promise.allSettled([coordinator.tickIdle(definition)]);
  if (flush?.status === 'rejected') throw flush.reason;
  if (tick?.status === 'rejected') throw tick.reason;
  return tick!.value.tasks > 0 ? { ...flush!.value, tick: tick!.value } : flush!.value;
}
