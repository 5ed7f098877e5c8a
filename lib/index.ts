/** The public API of Sluice: what a function file imports. */

export type { Batch, ProcessContext, SourceRecord } from './checkpoint/definition';
export {
  CheckpointConflictError,
  ConfigError,
  DecodeError,
  LateCallError,
  SluiceError,
  UnpublishableOutputError,
} from './core/errors';
export { type Serde, serde } from './core/serde';
export {
  BATCH_METRICS,
  type BatchMetricName,
  type BatchMetrics,
  type MetricsSink,
} from './lambda/batch-metrics';
export { defineFunction } from './lambda/define';
export type { KafkaHandler } from './lambda/handler';
export { kafkaSink } from './sink/kafka';
export { logSink } from './sink/log';
export { state } from './state/spec';
export type { MapState, ValueState } from './state/view';
