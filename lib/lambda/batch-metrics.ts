import type { BatchOutcome } from '../checkpoint/coordinator';
import { CheckpointConflictError, SluiceError } from '../core/errors';
import type { TaskId } from '../core/task';

/**
 * The metrics of one partition batch, as Sluice publishes them (CloudWatch EMF on Lambda,
 * emf-metrics.ts) and as `sluice dev`'s live page reads them back. Names and units are
 * CloudWatch's; every metric is per batch, with the dimensions function and partition.
 */
export const BATCH_METRICS = {
  /** records applied by this batch (records applied before are skipped) */
  RecordsApplied: 'Count',
  /** records of the batch that an earlier batch applied (a retry, a redelivery) */
  RecordsSkipped: 'Count',
  /** offsets missing before the batch (compaction, transaction markers, retention) */
  OffsetGap: 'Count',
  /** records set aside by the per-key quarantine (issue 14), when the protocol reports them */
  RecordsQuarantined: 'Count',
  /** the whole protocol for the batch: load, flush, process, commit, publish */
  BatchDuration: 'Milliseconds',
  /** the conditional write of the checkpoint */
  CommitDuration: 'Milliseconds',
  /** publishing the batch's outbox (Kafka transaction or log lines) */
  PublishDuration: 'Milliseconds',
  StateKeys: 'Count',
  StateBytes: 'Bytes',
  /** outputs in the batch's outbox */
  OutboxMessages: 'Count',
  /** the commit met a checkpoint another invocation had moved on */
  CheckpointConflicts: 'Count',
  /** batches run again on the current checkpoint after a conflict */
  BatchReruns: 'Count',
  /** batches that failed (Lambda retries them) */
  BatchFailures: 'Count',
  /**
   * now - the timestamp of the batch's newest record: how far behind in time the task is (as
   * Kinesis' IteratorAge); also sent for a failed batch, so a stuck partition shows it growing
   */
  TimeLag: 'Milliseconds',
  /** now - when the checkpoint the batch started from was committed (time since the last commit) */
  CheckpointAge: 'Milliseconds',
} as const;

export type BatchMetricName = keyof typeof BATCH_METRICS;

/** One batch's metrics: a value for each metric that applies to it. */
export interface BatchMetrics {
  task: TaskId;
  /** Lambda's request id of the invocation, when known */
  requestId?: string;
  /** epoch ms of the measurement */
  time: number;
  /** timestamp of the batch's newest record (null for an empty batch) */
  newestRecordTimestamp: number | null;
  /** error code of a failed batch */
  errorCode?: string;
  values: Partial<Record<BatchMetricName, number>>;
}

/** Where a runtime sends each batch's metrics (EMF on stdout, `sluice dev`'s page, or nowhere). */
export interface MetricsSink {
  batch(metrics: BatchMetrics): void;
}

export const noMetrics: MetricsSink = { batch() {} };

interface Measured {
  task: TaskId;
  requestId: string | undefined;
  startedAt: number;
  now: number;
}

/** The metrics of a committed (or entirely skipped) batch. */
export function metricsOfOutcome(outcome: BatchOutcome, at: Measured): BatchMetrics {
  const { observed } = outcome;
  const values: BatchMetrics['values'] = {
    RecordsApplied: outcome.applied,
    RecordsSkipped: outcome.skipped,
    OffsetGap: outcome.gap,
    BatchDuration: at.now - at.startedAt,
    CommitDuration: observed.commitMs,
    PublishDuration: observed.publishMs,
    StateKeys: outcome.checkpoint.stateKeys,
    StateBytes: observed.stateBytes,
    OutboxMessages: observed.outboxMessages,
    CheckpointConflicts: outcome.reran ? 1 : 0,
    BatchReruns: outcome.reran ? 1 : 0,
    BatchFailures: 0,
  };
  if (outcome.quarantined !== undefined) values.RecordsQuarantined = outcome.quarantined;
  addAges(values, observed.newestTimestamp, observed.previousCommittedAt, at.now);
  return base(at, observed.newestTimestamp, values);
}

/** The metrics of a failed batch: the failure, and how far behind the task stays. */
export function metricsOfFailure(error: unknown, newestTimestamp: number | null, at: Measured): BatchMetrics {
  const values: BatchMetrics['values'] = {
    BatchDuration: at.now - at.startedAt,
    BatchFailures: 1,
    CheckpointConflicts: error instanceof CheckpointConflictError ? 1 : 0,
  };
  addAges(values, newestTimestamp, 0, at.now);
  const metrics = base(at, newestTimestamp, values);
  metrics.errorCode = error instanceof SluiceError ? error.code : 'HANDLER';
  return metrics;
}

function base(at: Measured, newest: number | null, values: BatchMetrics['values']): BatchMetrics {
  const metrics: BatchMetrics = { task: at.task, time: at.now, newestRecordTimestamp: newest, values };
  if (at.requestId !== undefined) metrics.requestId = at.requestId;
  return metrics;
}

function addAges(
  values: BatchMetrics['values'],
  newest: number | null,
  previousCommittedAt: number,
  now: number,
): void {
  // Producer clocks may run ahead of this one: a record "from the future" is not negative lag.
  if (newest !== null && newest > 0) values.TimeLag = Math.max(0, now - newest);
  if (previousCommittedAt > 0) values.CheckpointAge = Math.max(0, now - previousCommittedAt);
}
