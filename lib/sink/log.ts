import { type Serde, serde } from '../core/serde';
import type { Sink } from './sink';

/**
 * Writes each output as a line to the log (stdout on Lambda: CloudWatch). Logs are not
 * transactional: after a crash between commit and print, a line may print twice.
 *
 * @example
 * sinks: { out: logSink() }
 */
export function logSink<V = string>(
  options: { value?: Serde<V>; prefix?: string } = {},
): Sink<V, string | null> {
  return {
    kind: 'log',
    target: options.prefix ?? '',
    key: serde.nullable(serde.string()),
    value: options.value ?? (serde.string() as unknown as Serde<V>),
  };
}
