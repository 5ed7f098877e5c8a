import type { BatchOutcome } from '../checkpoint/coordinator';
import { messageOf, SluiceError } from '../errors';
import { decodeEvent } from '../event/decode';
import type { Runtime } from './runtime';
import type { FunctionDefinition } from './types';

/** The part of Lambda's context object Sluice uses. */
export interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
  awsRequestId?: string;
}

/**
 * Below this much remaining time a partition batch is not started: a batch needs a store
 * load, the user's process(), one conditional write and a publish; starting one that Lambda
 * kills midway only wastes the work (it is still safe: nothing half-commits).
 */
export const MIN_REMAINING_MS = 3_000;

export type KafkaHandler = ((event: unknown, context?: LambdaContext) => Promise<void>) & {
  readonly definition: FunctionDefinition;
};

/** One or more partition batches of an invocation failed; the others were committed. */
export class BatchFailedError extends SluiceError {
  readonly failures: Array<{ topic: string; partition: number; error: unknown }>;
  constructor(fn: string, failures: BatchFailedError['failures']) {
    const first = failures[0]?.error;
    super(
      first instanceof SluiceError ? first.code : 'HANDLER',
      `${fn}: ${failures.length} partition batch(es) failed; Lambda retries the event and committed partitions skip ` +
        `their records. ${failures.map((f) => `${f.topic}-${f.partition}: ${messageOf(f.error)}`).join(' | ')}`,
      { retriable: failures.every((f) => f.error instanceof SluiceError && f.error.retriable), cause: first },
    );
    this.failures = failures;
  }
}

/**
 * Builds the Lambda handler for a definition. Partitions of one event run concurrently and
 * independently; the invocation fails if any fails. `getRuntime` is called once (cold start).
 */
export function createHandler(
  definition: FunctionDefinition,
  getRuntime: () => Promise<Runtime>,
): KafkaHandler {
  let runtime: Promise<Runtime> | undefined;
  const handler = async (event: unknown, context?: LambdaContext): Promise<void> => {
    runtime ??= getRuntime().catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    const { coordinator, log } = await runtime;
    const decoded = decodeEvent(event);
    for (const batch of decoded.batches) {
      if (batch.topic !== definition.source.topic) {
        throw new SluiceError(
          'CONFIG',
          `${definition.name} reads topic "${definition.source.topic}" but the event holds "${batch.topic}": ` +
            'check the topic of the function trigger in serverless.yml',
        );
      }
    }
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining !== undefined && remaining < MIN_REMAINING_MS) {
      throw new SluiceError('HANDLER', `only ${remaining} ms left (< ${MIN_REMAINING_MS}); not starting`, {
        retriable: true,
      });
    }
    const results = await Promise.allSettled(decoded.batches.map((b) => coordinator.runBatch(definition, b)));
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [{ topic: decoded.batches[i]!.topic, partition: decoded.batches[i]!.partition, error: r.reason }]
        : [],
    );
    for (const r of results) if (r.status === 'fulfilled') logOutcome(log, r.value);
    if (failures.length > 0) throw new BatchFailedError(definition.name, failures);
  };
  return Object.assign(handler, { definition });
}

function logOutcome(log: Runtime['log'], outcome: BatchOutcome): void {
  log.debug('batch committed', {
    task: `${outcome.task.topic}-${outcome.task.partition}`,
    applied: outcome.applied,
    skipped: outcome.skipped,
    version: outcome.checkpoint.version,
    next: outcome.checkpoint.next,
  });
}
