/**
 * The settings of one emulated Kafka event source mapping (ESM), with Lambda's defaults and
 * ranges. Sources for every default and limit:
 * - https://docs.aws.amazon.com/lambda/latest/dg/msk-esm-parameters.html (BatchSize 100, max
 *   10,000; MaximumBatchingWindowInSeconds 500 ms; MaximumRetryAttempts and
 *   MaximumRecordAgeInSeconds -1 = infinite; BisectBatchOnFunctionError false)
 * - https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html (retries
 *   0-10000 or -1; record age 60-604800 or -1; infinite retries + an on-failure destination
 *   means at most 10 retries, see retry-policy.ts)
 * - https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html (an existing
 *   group's committed offsets win over StartingPosition)
 */
import { ConfigError } from '../../lib/core/errors';
import type { EventSource } from '../../lib/event/types';
import { compileFilterPatterns } from './filter';
import { resolveSchemaRegistrySettings, type SchemaRegistrySettings } from './schema-registry-settings';

export const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];

export const DEFAULT_BATCH_SIZE = 100;
export const MAX_BATCH_SIZE = 10_000;
/** Lambda's Kafka default; only whole seconds can be configured (0-300). */
export const DEFAULT_BATCHING_WINDOW_MS = 500;
export const MAX_BATCHING_WINDOW_S = 300;
export const MAX_RETRY_ATTEMPTS = 10_000;
export const MIN_RECORD_AGE_S = 60;
export const MAX_RECORD_AGE_S = 604_800;
/** osls's (Serverless v3) default when an event leaves startingPosition out. */
export const DEFAULT_STARTING_POSITION: StartingPosition = 'TRIM_HORIZON';
/** Serverless Framework's default function timeout (Lambda's own default is 3 s). */
export const DEFAULT_TIMEOUT_S = 6;

/** What one `msk`/`kafka` event plus `custom.sluice.functions.<fn>` say, before defaults. */
export interface TriggerSettingsInput {
  topic: string;
  eventSource?: EventSource;
  /** MSK cluster ARN; only copied into the events (the emulator reads SLUICE_KAFKA_BROKERS). */
  eventSourceArn?: string;
  /** Default `sluice-<function>` (Lambda's default is the ESM's UUID, which has no local twin). */
  consumerGroupId?: string;
  batchSize?: number;
  /** Seconds, like serverless.yml's `maximumBatchingWindow`. */
  maximumBatchingWindow?: number;
  startingPosition?: StartingPosition;
  /** Unix time in seconds (CloudFormation's StartingPositionTimestamp). */
  startingPositionTimestamp?: number;
  filterPatterns?: unknown[];
  maximumRetryAttempts?: number;
  maximumRecordAgeInSeconds?: number;
  bisectBatchOnFunctionError?: boolean;
  reportBatchItemFailures?: boolean;
  onFailureTopic?: string;
  /** Lambda's schema-registry integration (SchemaRegistryConfig; see schema-registry-settings.ts). */
  schemaRegistry?: unknown;
}

/** A validated ESM, with every default applied. */
export interface TriggerSettings {
  topic: string;
  eventSource: EventSource;
  eventSourceArn?: string;
  consumerGroupId: string;
  batchSize: number;
  maximumBatchingWindowMs: number;
  startingPosition: StartingPosition;
  startingPositionTimestampMs?: number;
  filterPatterns: unknown[];
  /** -1: infinite. */
  maximumRetryAttempts: number;
  /** -1: infinite. */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  onFailureTopic?: string;
  schemaRegistry?: SchemaRegistrySettings;
}

const INPUT_KEYS: ReadonlyArray<keyof TriggerSettingsInput> = [
  'topic',
  'eventSource',
  'eventSourceArn',
  'consumerGroupId',
  'batchSize',
  'maximumBatchingWindow',
  'startingPosition',
  'startingPositionTimestamp',
  'filterPatterns',
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'reportBatchItemFailures',
  'onFailureTopic',
  'schemaRegistry',
];

/** Kafka's own topic-name rule (and Lambda's Topics pattern). */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
/** osls's consumerGroupId schema: up to 200 of these characters. */
const GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

/**
 * Applies Lambda's defaults and checks Lambda's ranges. `where` names the setting's place in
 * the configuration (e.g. `functions.wordCount.events[0].msk`) for error messages.
 *
 * @throws {ConfigError} naming the key and the allowed values.
 * @example
 * const settings = resolveTriggerSettings('word-count', { topic: 'test', batchSize: 10 }, 'word-count');
 * // settings.maximumBatchingWindowMs === 500, settings.consumerGroupId === 'sluice-word-count'
 */
export function resolveTriggerSettings(
  functionName: string,
  input: TriggerSettingsInput,
  where: string,
): TriggerSettings {
  for (const key of Object.keys(input)) {
    if (!(INPUT_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${where}: unknown setting "${key}"; allowed: ${INPUT_KEYS.join(', ')}`);
    }
  }
  const topic = input.topic;
  if (typeof topic !== 'string' || !TOPIC.test(topic)) {
    throw new ConfigError(`${where}.topic must be a Kafka topic name ([a-zA-Z0-9._-]), got ${show(topic)}`);
  }
  const batchSize = integer(input.batchSize, DEFAULT_BATCH_SIZE, `${where}.batchSize`, 1, MAX_BATCH_SIZE);
  const windowS = input.maximumBatchingWindow;
  if (
    windowS !== undefined &&
    (typeof windowS !== 'number' ||
      !Number.isFinite(windowS) ||
      windowS < 0 ||
      windowS > MAX_BATCHING_WINDOW_S)
  ) {
    throw new ConfigError(
      `${where}.maximumBatchingWindow must be seconds from 0 to ${MAX_BATCHING_WINDOW_S}, got ${show(windowS)}`,
    );
  }
  const startingPosition = input.startingPosition ?? DEFAULT_STARTING_POSITION;
  if (!STARTING_POSITIONS.includes(startingPosition)) {
    throw new ConfigError(
      `${where}.startingPosition must be one of ${STARTING_POSITIONS.join(', ')}, got ${show(startingPosition)}`,
    );
  }
  const timestamp = input.startingPositionTimestamp;
  if (startingPosition === 'AT_TIMESTAMP' && timestamp === undefined) {
    throw new ConfigError(
      `${where}.startingPositionTimestamp is required with startingPosition AT_TIMESTAMP (Unix time in seconds)`,
    );
  }
  if (
    timestamp !== undefined &&
    (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0)
  ) {
    throw new ConfigError(
      `${where}.startingPositionTimestamp must be Unix time in seconds, got ${show(timestamp)}`,
    );
  }
  const consumerGroupId = input.consumerGroupId ?? `sluice-${functionName}`;
  if (typeof consumerGroupId !== 'string' || !GROUP_ID.test(consumerGroupId)) {
    throw new ConfigError(
      `${where}.consumerGroupId must be 1-200 characters of [a-zA-Z0-9-/*:_+=.@], got ${show(consumerGroupId)}`,
    );
  }
  const eventSource =
    input.eventSource ?? (input.eventSourceArn === undefined ? 'SelfManagedKafka' : 'aws:kafka');
  if (eventSource !== 'aws:kafka' && eventSource !== 'SelfManagedKafka') {
    throw new ConfigError(
      `${where}.eventSource must be aws:kafka or SelfManagedKafka, got ${show(eventSource)}`,
    );
  }
  if (eventSource === 'aws:kafka' && !input.eventSourceArn?.startsWith('arn:')) {
    throw new ConfigError(
      `${where}: an MSK (aws:kafka) source needs the cluster ARN (arn:...) in eventSourceArn`,
    );
  }
  const filterPatterns = input.filterPatterns ?? [];
  if (!Array.isArray(filterPatterns)) {
    throw new ConfigError(
      `${where}.filterPatterns must be a list of patterns like { value: { field: [...] } }`,
    );
  }
  compileFilterPatterns(filterPatterns, `${where}.filterPatterns`);

  const maximumRetryAttempts = integer(
    input.maximumRetryAttempts,
    -1,
    `${where}.maximumRetryAttempts`,
    -1,
    MAX_RETRY_ATTEMPTS,
  );
  const maximumRecordAgeInSeconds = integer(
    input.maximumRecordAgeInSeconds,
    -1,
    `${where}.maximumRecordAgeInSeconds`,
    -1,
    MAX_RECORD_AGE_S,
  );
  if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < MIN_RECORD_AGE_S) {
    throw new ConfigError(
      `${where}.maximumRecordAgeInSeconds must be -1 (infinite) or ${MIN_RECORD_AGE_S}-${MAX_RECORD_AGE_S}, ` +
        `got ${maximumRecordAgeInSeconds}`,
    );
  }
  const onFailureTopic = input.onFailureTopic;
  if (onFailureTopic !== undefined) {
    if (typeof onFailureTopic !== 'string' || !TOPIC.test(onFailureTopic)) {
      throw new ConfigError(
        `${where}.onFailureTopic must be a Kafka topic name, got ${show(onFailureTopic)}`,
      );
    }
    if (onFailureTopic === topic) {
      // Lambda refuses this too: failed records would loop back into the function.
      throw new ConfigError(`${where}.onFailureTopic must differ from the source topic "${topic}"`);
    }
  }

  const settings: TriggerSettings = {
    topic,
    eventSource,
    consumerGroupId,
    batchSize,
    maximumBatchingWindowMs: windowS === undefined ? DEFAULT_BATCHING_WINDOW_MS : Math.round(windowS * 1000),
    startingPosition,
    filterPatterns,
    maximumRetryAttempts,
    maximumRecordAgeInSeconds,
    bisectBatchOnFunctionError: boolean(
      input.bisectBatchOnFunctionError,
      `${where}.bisectBatchOnFunctionError`,
    ),
    reportBatchItemFailures: boolean(input.reportBatchItemFailures, `${where}.reportBatchItemFailures`),
  };
  if (input.eventSourceArn !== undefined) settings.eventSourceArn = input.eventSourceArn;
  if (timestamp !== undefined) settings.startingPositionTimestampMs = Math.round(timestamp * 1000);
  if (onFailureTopic !== undefined) settings.onFailureTopic = onFailureTopic;
  if (input.schemaRegistry !== undefined) {
    settings.schemaRegistry = resolveSchemaRegistrySettings(input.schemaRegistry, `${where}.schemaRegistry`);
  }
  return settings;
}

function integer(value: unknown, fallback: number, where: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${where} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

function boolean(value: unknown, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false, got ${show(value)}`);
  return value;
}

export function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
