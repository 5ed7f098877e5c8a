import type { FunctionConfig } from '../checkpoint/definition';
import { configFromEnv } from '../core/config';
import type { AnySink } from '../sink/sink';
import type { StateSpec } from '../state/spec';
import type { AnyWindowSpec } from '../state/window-spec';
import { createHandler, type KafkaHandler } from './handler';
import { runtimeFromConfig } from './runtime';
import { validateDefinition } from './validate';

/**
 * Defines an exactly-once Kafka function and returns its Lambda handler (for `aws:kafka` and
 * `SelfManagedKafka` events). The handler carries the definition for the emulator, the CLI
 * and the test harness.
 *
 * @example
 * export const handler = defineFunction({
 *   name: 'word-count',
 *   source: { topic: 'sentences', value: serde.string() },
 *   state: { counts: state.map<number>() },
 *   sinks: { counts: kafkaSink({ topic: 'word-counts', value: serde.json() }) },
 *   process(batch, { state, emit }) {
 *     for (const record of batch.records) {
 *       for (const word of record.value.split(/\s+/).filter(Boolean)) {
 *         const n = (state.counts.get(word) ?? 0) + 1;
 *         state.counts.set(word, n);
 *         emit.counts({ key: word, value: { word, count: n } });
 *       }
 *     }
 *   },
 * });
 */
export function defineFunction<
  V,
  K = string | null,
  S extends Record<string, StateSpec> = Record<never, never>,
  Sinks extends Record<string, AnySink> = Record<never, never>,
  W extends Record<string, AnyWindowSpec> = Record<never, never>,
>(config: FunctionConfig<K, V, S, Sinks, W>): KafkaHandler {
  // Generic parameters only type the user's code; validation works on the erased shape.
  const definition = validateDefinition(config as unknown as Parameters<typeof validateDefinition>[0]);
  // The handler builds its runtime once, at cold start: the configuration is read from the
  // function's environment (Lambda's interface) and validated there, then passed down typed.
  return createHandler(definition, () => runtimeFromConfig(configFromEnv(process.env)));
}
