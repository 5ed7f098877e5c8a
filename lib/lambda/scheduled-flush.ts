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
