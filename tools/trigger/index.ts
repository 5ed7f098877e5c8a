/**
 * The local emulator of Lambda's Kafka trigger (`sluice dev`): runs the functions declared in
 * serverless.yml against a real broker, with Lambda's batching, starting positions, error
 * controls, filters and backpressure.
 */
export { type BundleOptions, bundleChildRunner, bundleFunction } from './bundle';
export { type ChildInvokerOptions, createChildProcessInvoker } from './child-invoker';
export { type Clock, systemClock } from './clock';
export { type EmulatedFunction, type Emulator, type EmulatorOptions, startEmulator } from './emulator';
export { compileFilterPatterns, type RecordFilter } from './filter';
export {
  type InvokeMode,
  prepareFunctions,
  type ServerlessEmulatorOptions,
  startEmulatorFromServerless,
} from './from-serverless';
export {
  createInstancePool,
  DEFAULT_INSTANCE_SEED,
  type InstancePool,
  type InstancePoolOptions,
  type InstanceSpec,
  type InstanceStats,
  type InvokerFactory,
} from './instance-pool';
export {
  createInProcessInvoker,
  type EmulatedContext,
  type InProcessInvokerOptions,
  type InvokeOutcome,
  type InvokeRequest,
  type Invoker,
  type LambdaFunction,
} from './invoker';
export { FAILURE_CONDITIONS, type FailureCondition } from './on-failure';
export { MAX_PAYLOAD_BYTES } from './payload-size';
export { DEFAULT_BACKOFF, DESTINATION_RETRY_CAP } from './retry-policy';
export {
  loadServerlessConfig,
  parseServerlessConfig,
  type ServerlessConfig,
  type ServerlessConfigOptions,
  type ServerlessFunction,
} from './serverless-config';
export { SLUICE_FUNCTION_KEYS } from './serverless-events';
export {
  resolveTriggerSettings,
  STARTING_POSITIONS,
  type StartingPosition,
  type TriggerSettings,
  type TriggerSettingsInput,
} from './settings';
export type { EmulatorStats, PartitionStats, TriggerCounters, TriggerStats } from './stats';
