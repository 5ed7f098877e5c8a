/** The public API of Sluice: what a function file imports. */

export {
  CheckpointConflictError,
  ConfigError,
  DecodeError,
  LateCallError,
  SluiceError,
  UnpublishableOutputError,
} from './errors';
export { defineFunction } from './function/define';
export type { KafkaHandler } from './function/handler';
export { type Serde, serde } from './function/serde';
export type { Batch, ProcessContext, SourceRecord } from './function/types';
export { kafkaSink } from './sink/kafka';
export { logSink } from './sink/log';
export { state } from './state/spec';
export type { MapState, ValueState } from './state/view';
