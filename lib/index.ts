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
  SluiceError,
  UnpublishableOutputError,
} from './core/errors';
export { type Serde, serde } from './core/serde';
export { defineFunction } from './lambda/define';
export type { KafkaHandler } from './lambda/handler';
export { kafkaSink } from './sink/kafka';
export { logSink } from './sink/log';
export { state } from './state/spec';
export type { ListState, MapState, ValueState } from './state/view';
export { type WindowSpec, window } from './state/window-spec';
