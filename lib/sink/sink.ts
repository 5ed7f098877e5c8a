import type { Serde } from '../core/serde';
import type { KafkaCompression } from '../kafka/codecs';

/**
 * A named output of a function. Emitted values are serialised into the committed outbox at
 * once; publishing happens after the commit, by the publisher registered for the sink's kind.
 */
export interface Sink<V = unknown, K = string | null> {
  /** which publisher delivers it: 'kafka', 'log', or a test kind */
  readonly kind: string;
  /** destination (a Kafka topic for 'kafka') */
  readonly target: string;
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /** chooses a partition from the serialised key; undefined leaves it to the publisher */
  readonly partitioner?: (key: Buffer | null, partitions: number) => number;
  /** record batch compression of a 'kafka' sink's topic (default none) */
  readonly compression?: KafkaCompression;
}

export function isSink(value: unknown): value is Sink {
  const v = value as Sink | null;
  return typeof v === 'object' && v !== null && typeof v.kind === 'string' && typeof v.target === 'string';
}

/**
 * Any sink, for maps of differently typed sinks: `Sink<unknown, unknown>` would reject them,
 * since a sink's serdes take its value type as input (contravariant).
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnySink = Sink<any, any>;
