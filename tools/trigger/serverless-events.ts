/**
 * A function's `msk` / `kafka` events in serverless.yml, plus its `custom.sluice.functions`
 * error controls, as emulated event source mappings (TriggerSettings). Keys are osls's event
 * schema (lib/plugins/aws/package/compile/events/msk and kafka.js): anything else is rejected,
 * as osls would reject it.
 */
import { ConfigError } from '../../lib/core/errors';
import { coerceKeys, KAFKA_EVENT_TYPES } from './osls-coerce';
import { resolveTriggerSettings, show, type TriggerSettings, type TriggerSettingsInput } from './settings';
import { isUnresolved } from './variables';

export const MSK_KEYS = [
  'arn',
  'batchSize',
  'maximumBatchingWindow',
  'enabled',
  'startingPosition',
  'startingPositionTimestamp',
  'topic',
  'saslScram512',
  'consumerGroupId',
  'filterPatterns',
  'provisionedPollerConfig',
];
export const KAFKA_KEYS = [
  'accessConfigurations',
  'batchSize',
  'maximumBatchingWindow',
  'enabled',
  'bootstrapServers',
  'startingPosition',
  'startingPositionTimestamp',
  'topic',
  'onFailureDestination',
  'consumerGroupId',
  'filterPatterns',
  'provisionedPollerConfig',
];
/** The error controls of `custom.sluice.functions.<function>` (mapped to the ESM on deploy). */
export const SLUICE_FUNCTION_KEYS = [
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'reportBatchItemFailures',
  'onFailureTopic',
  'schemaRegistry',
] as const;

/**
 * The triggers of function `name`: one per enabled Kafka event. `warnings` collects what
 * behaves differently locally.
 */
export function parseKafkaEvents(
  name: string,
  node: Record<string, unknown>,
  controls: Record<string, unknown>,
  region: string,
  warnings: string[],
): TriggerSettings[] {
  const events = node.events ?? [];
  if (!Array.isArray(events)) throw new ConfigError(`functions.${name}.events must be a list`);
  const kafkaEvents = events.flatMap((event, i) => {
    if (!isObject(event)) return [];
    const type = Object.keys(event)[0];
    if (type !== 'msk' && type !== 'kafka') return [];
    return [{ type, body: event[type], where: `functions.${name}.events[${i}].${type}` }];
  });
  const triggers: TriggerSettings[] = [];
  for (const { type, body: written, where } of kafkaEvents) {
    if (!isObject(written)) throw new ConfigError(`${where} must be a mapping with at least topic`);
    // As osls validates it: `batchSize: ${env:BATCH}` resolves to "309" and deploys as 309.
    const body = coerceKeys(written, KAFKA_EVENT_TYPES);
    const allowed = type === 'msk' ? MSK_KEYS : KAFKA_KEYS;
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) {
        throw new ConfigError(
          `${where}.${key} is not a ${type} event setting (osls rejects it); allowed: ${allowed.join(', ')}. ` +
            `Error controls go under custom.sluice.functions.${name}`,
        );
      }
    }
    if (body.enabled !== undefined && typeof body.enabled !== 'boolean') {
      throw new ConfigError(
        `${where}.enabled must be true or false (osls rejects it), got ${show(body.enabled)}`,
      );
    }
    if (body.enabled === false) {
      warnings.push(`${where} has enabled: false: not consumed`);
      continue;
    }
    for (const key of [
      'topic',
      'batchSize',
      'maximumBatchingWindow',
      'startingPosition',
      'consumerGroupId',
    ]) {
      if (isUnresolved(body[key])) {
        throw new ConfigError(
          `${where}.${key} is ${show(body[key])}, which cannot be resolved locally: set a value`,
        );
      }
    }
    if (body.maximumBatchingWindow === 0) {
      // osls writes MaximumBatchingWindowInSeconds only when truthy, so 0 deploys Lambda's default.
      delete body.maximumBatchingWindow;
      warnings.push(
        `${where}.maximumBatchingWindow is 0, which osls leaves out of the template: Lambda (and the emulator) ` +
          'use the default 0.5 s; set it to 1 or more to change the window',
      );
    }
    const input: TriggerSettingsInput = { topic: body.topic as string };
    copy(body, input, [
      'batchSize',
      'maximumBatchingWindow',
      'startingPosition',
      'startingPositionTimestamp',
    ]);
    copy(body, input, ['consumerGroupId', 'filterPatterns']);
    if (input.consumerGroupId === undefined && kafkaEvents.length > 1) {
      input.consumerGroupId = `sluice-${name}-${String(body.topic)}`;
    }
    if (type === 'msk') {
      input.eventSource = 'aws:kafka';
      if (typeof body.arn === 'string' && body.arn.startsWith('arn:')) {
        input.eventSourceArn = body.arn;
      } else {
        input.eventSourceArn = `arn:aws:kafka:${region}:000000000000:cluster/sluice-local/unresolved`;
        warnings.push(
          `${where}.arn is not a literal ARN locally (${show(body.arn)}); events carry ${input.eventSourceArn}`,
        );
      }
    } else {
      input.eventSource = 'SelfManagedKafka';
      const destination = body.onFailureDestination;
      if (typeof destination === 'string' && destination.startsWith('kafka://')) {
        input.onFailureTopic = destination.slice('kafka://'.length);
      } else if (destination !== undefined) {
        warnings.push(
          `${where}.onFailureDestination ${show(destination)} is not a Kafka topic: not emulated`,
        );
      }
    }
    copy(controls, input, [
      'maximumRetryAttempts',
      'maximumRecordAgeInSeconds',
      'bisectBatchOnFunctionError',
    ]);
    copy(controls, input, ['reportBatchItemFailures', 'schemaRegistry']);
    if (controls.onFailureTopic !== undefined) {
      if (input.onFailureTopic !== undefined && input.onFailureTopic !== controls.onFailureTopic) {
        throw new ConfigError(
          `${where}.onFailureDestination and custom.sluice.functions.${name}.onFailureTopic disagree: keep one`,
        );
      }
      input.onFailureTopic = controls.onFailureTopic as string;
    }
    triggers.push(resolveTriggerSettings(name, input, where));
  }
  return triggers;
}

function copy(from: Record<string, unknown>, to: TriggerSettingsInput, keys: string[]): void {
  for (const key of keys) {
    if (from[key] !== undefined) (to as unknown as Record<string, unknown>)[key] = from[key];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
