import type { BatchOutcome } from '../checkpoint/coordinator';
import type { FunctionDefinition } from '../checkpoint/definition';
import type { FlushReport } from '../checkpoint/flush';
import { messageOf, SluiceError } from '../core/errors';
import { withLogContext } from '../core/log';
import { taskName } from '../core/task';
import { decodeEventPartitions } from '../event/decode';
import type { PartitionBatch } from '../event/types';
import { metricsOfFailure, metricsOfOutcome } from './batch-metrics';
import type { Runtime } from './runtime';
import { isScheduledFlush, runScheduled } from './scheduled-flush';

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

/**
 * Lambda's partial batch response for Kafka event source mappings with
 * `FunctionResponseTypes: [ReportBatchItemFailures]`: each failed partition names the first
 * offset to redeliver; Lambda retries from there and treats the rest as done.
 */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: { partition: string; offset: number } }>;
}

export type KafkaHandler = ((
  event: unknown,
  context?: LambdaContext,
) => Promise<BatchResponse | FlushReport | undefined>) & {
  readonly definition: FunctionDefinition;
};

export interface HandlerOptions {
  /**
   * Report failed partitions instead of failing the invocation. Only safe when the event
   * source mapping has ReportBatchItemFailures on (otherwise Lambda would treat the response
   * as success and skip the failed records): set SLUICE_REPORT_BATCH_ITEM_FAILURES=true
   * together with it. Default: the runtime's (its configuration's) setting.
   */
  reportBatchItemFailures?: boolean;
}

/** One failed partition batch of an invocation: `partition` is Lambda's `<topic>-<partition>` key. */
export interface PartitionFailure {
  partition: string;
  /** where Lambda redelivers from: the batch's first offset (unknown when the event cannot tell it) */
  offset: number | undefined;
  error: unknown;
}

/** One or more partition batches of an invocation failed; the others were committed. */
export class BatchFailedError extends SluiceError {
  readonly failures: PartitionFailure[];
  constructor(fn: string, failures: PartitionFailure[]) {
    const first = failures[0]?.error;
    super(
      first instanceof SluiceError ? first.code : 'HANDLER',
      `${fn}: ${failures.length} partition batch(es) failed; Lambda retries the event and committed partitions skip ` +
        `their records. ${failures.map((f) => `${f.partition}: ${messageOf(f.error)}`).join(' | ')}`,
      { retriable: failures.every((f) => f.error instanceof SluiceError && f.error.retriable), cause: first },
    );
    this.failures = failures;
  }
}

/**
 * Builds the Lambda handler for a definition. Each partition batch of an event is decoded and
 * run on its own, concurrently: a malformed, undecodable or failing batch fails alone while the
 * others commit. With partial batch responses only the failed ones are reported; without, the
 * invocation fails after the others committed (Lambda's retry skips their records).
 * `getRuntime` is called once (cold start).
 */
export function createHandler(
  definition: FunctionDefinition,
  getRuntime: () => Promise<Runtime>,
  options: HandlerOptions = {},
): KafkaHandler {
  let runtime: Promise<Runtime> | undefined;
  // Every log line of an invocation carries its request id and function (lib/core/log.ts).
  const handler = (event: unknown, context?: LambdaContext) =>
    withLogContext({ requestId: context?.awsRequestId, fn: definition.name }, () => invoke(event, context));
  const invoke = async (
    event: unknown,
    context?: LambdaContext,
  ): Promise<BatchResponse | FlushReport | undefined> => {
    runtime ??= getRuntime().catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    const { coordinator, log, metrics, now, reportBatchItemFailures } = await runtime;
    if (isScheduledFlush(event)) return runScheduled(coordinator, definition);
    // Throws only when the event has no records object to split: then nothing can run.
    const { partitions } = decodeEventPartitions(event);
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining !== undefined && remaining < MIN_REMAINING_MS) {
      throw new SluiceError('HANDLER', `only ${remaining} ms left (< ${MIN_REMAINING_MS}); not starting`, {
        retriable: true,
      });
    }
    const runPartition = async (batch: PartitionBatch) => {
      if (batch.topic !== definition.source.topic) {
        throw new SluiceError(
          'CONFIG',
          `${definition.name} reads topic "${definition.source.topic}" but the event holds "${batch.topic}": ` +
            'check the topic of the function trigger in serverless.yml',
        );
      }
      const task = { fn: definition.name, topic: batch.topic, partition: batch.partition };
      return withLogContext({ task: taskName(task) }, async () => {
        const at = { task, requestId: context?.awsRequestId, startedAt: now() };
        try {
          const outcome = await coordinator.runBatch(definition, batch);
          metrics.batch(metricsOfOutcome(outcome, { ...at, now: now() }));
          return outcome;
        } catch (error) {
          const newest = batch.records.at(-1)?.timestamp ?? null;
          metrics.batch(metricsOfFailure(error, newest, { ...at, now: now() }));
          throw error;
        }
      });
    };
    const results = await Promise.allSettled(
      partitions.map((p) => (p.ok ? runPartition(p.batch) : Promise.reject(p.error))),
    );
    const failures: PartitionFailure[] = [];
    results.forEach((result, i) => {
      const p = partitions[i]!;
      if (result.status === 'fulfilled') logOutcome(log, result.value);
      else
        failures.push({
          partition: p.key,
          offset: p.ok ? p.batch.records[0]?.offset : p.firstOffset,
          error: result.reason,
        });
    });
    if (failures.length === 0) return;
    const error = new BatchFailedError(definition.name, failures);
    // A partition whose first offset the event does not tell cannot be reported: fail the
    // invocation (the others are committed already, and Lambda's retry skips them).
    const report = options.reportBatchItemFailures ?? reportBatchItemFailures;
    if (!report || failures.some((f) => f.offset === undefined)) throw error;
    log.error(error.message, { code: error.code });
    // A failed batch committed nothing past its first record (or everything, if only publishing
    // failed; then the redelivered records are skipped), so redeliver from its first record.
    return {
      batchItemFailures: failures.map((f) => ({
        itemIdentifier: { partition: f.partition, offset: f.offset! },
      })),
    };
  };
  return Object.assign(handler, { definition });
}

function logOutcome(log: Runtime['log'], outcome: BatchOutcome): void {
  log.debug('batch committed', {
    task: taskName(outcome.task),
    applied: outcome.applied,
    skipped: outcome.skipped,
    version: outcome.checkpoint.version,
    next: outcome.checkpoint.next,
  });
}
