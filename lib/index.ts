/** The public API of Sluice: what a function file imports. */

export type { Batch, ProcessContext, SourceRecord, TimerContext } from './checkpoint/definition';
export type { RecordTime, TaskTime, TimeOptions } from './checkpoint/event-time';
export type { FiredTimer, Timers } from './checkpoint/timers';
export type { WindowResult, WindowView } from './checkpoint/windows';
export {
  CheckpointConflictError,
  ConfigError,
  DecodeError,
  LateCallError,
  QuarantineFullError,
  SchemaDecodeError,
  SchemaRegistryUnavailableError,
  SluiceError,
  TerminalError,
  UnpublishableOutputError,
} from './core/errors';

import { serde as plainSerdes } from './core/serde';
import { registrySerdes } from './registry/serdes';

export type { Serde } from './core/serde';
/**
 * Key and value codecs: `string`, `json`, `bytes`, `nullable`, and the schema-registry formats
 * `avro`, `protobuf`, `jsonSchema` (with `confluentRegistry` or `glueRegistry`).
 */
export const serde = { ...plainSerdes, ...registrySerdes };
export {
  BATCH_METRICS,
  type BatchMetricName,
  type BatchMetrics,
  type MetricsSink,
} from './lambda/batch-metrics';
export { defineFunction } from './lambda/define';
export type { KafkaHandler } from './lambda/handler';
export { type ConfluentRegistryOptions, confluentRegistry } from './registry/confluent-registry';
export { type GlueRegistryOptions, glueRegistry } from './registry/glue-registry';
export type { SchemaRegistry } from './registry/registry';
export type { SchemaSerdeOptions } from './registry/schema-serde';
export { kafkaSink } from './sink/kafka';
export { logSink } from './sink/log';
export { state } from './state/spec';
export type { ListState, MapState, ValueState } from './state/view';
export { type WindowSpec, window } from './state/window-spec';
