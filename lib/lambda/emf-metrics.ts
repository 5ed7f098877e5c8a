import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { taskName } from '../core/task';
import { BATCH_METRICS, type BatchMetricName, type BatchMetrics, type MetricsSink } from './batch-metrics';

/** One line of CloudWatch's Embedded Metric Format, as Powertools' Metrics serialises it. */
export type EmfDocument = ReturnType<Metrics['serializeMetrics']> & Record<string, unknown>;

export interface EmfMetricsOptions {
  /** CloudWatch namespace (SLUICE_METRICS_NAMESPACE, default `Sluice`) */
  namespace: string;
  /** Where each EMF line goes (default: stdout, which Lambda sends to CloudWatch Logs). */
  write?: (line: string) => void;
}

/**
 * Publishes each batch's metrics as one line of CloudWatch's Embedded Metric Format
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 * on stdout: CloudWatch Logs turns it into metrics with no API call and no added latency. The
 * document is built by Powertools for AWS Lambda's Metrics, so it is exactly what Powertools
 * users' dashboards and alarms already read.
 *
 * Dimensions are `function` and `partition` only (Powertools' default `service` dimension is
 * dropped): a bounded set, one series per partition task. The topic, Lambda's request id and
 * the newest record's timestamp ride along as plain properties (searchable in Logs Insights,
 * not dimensions).
 *
 * @example
 * const metrics = createEmfMetrics({ namespace: 'Sluice' });
 * metrics.batch(metricsOfOutcome(outcome, { task, requestId, startedAt, now: Date.now() }));
 */
export function createEmfMetrics(options: EmfMetricsOptions): MetricsSink {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const metrics = new Metrics({ namespace: options.namespace });
  metrics.clearDefaultDimensions();
  return {
    batch(batch) {
      write(JSON.stringify(emfDocument(metrics, batch)));
    },
  };
}

/**
 * The EMF document of one batch. Synchronous from the first add to the clears, so batches of
 * concurrent partitions (one event, or Lambda Managed Instances) never mix in the shared
 * Metrics object.
 */
function emfDocument(metrics: Metrics, batch: BatchMetrics): EmfDocument {
  try {
    metrics.setTimestamp(batch.time);
    metrics.addDimensions({ function: batch.task.fn, partition: String(batch.task.partition) });
    for (const [name, value] of Object.entries(batch.values) as Array<[BatchMetricName, number]>) {
      metrics.addMetric(name, MetricUnit[BATCH_METRICS[name]], value);
    }
    const document: EmfDocument = metrics.serializeMetrics();
    document.topic = batch.task.topic;
    document.task = taskName(batch.task);
    if (batch.requestId !== undefined) document.requestId = batch.requestId;
    if (batch.newestRecordTimestamp !== null) document.newestRecordTimestamp = batch.newestRecordTimestamp;
    if (batch.errorCode !== undefined) document.errorCode = batch.errorCode;
    return document;
  } finally {
    metrics.clearMetrics();
    metrics.clearDimensions();
  }
}
