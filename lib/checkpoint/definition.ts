import type { Logger } from '../core/log';
import type { Serde } from '../core/serde';
import type { RecordHeader, TimestampType } from '../event/types';
import type { AnySink, Sink } from '../sink/sink';
import type { StateSpec } from '../state/spec';
import type { StateViews } from '../state/view';
import type { OnError, QuarantineOptions, QuarantinePolicy } from './quarantine-policy';

/** A source record after the function's serdes. */
export interface SourceRecord<K, V> {
  topic: string;
  partition: number;
  /** informative: Sluice, not the function, tracks what was applied */
  offset: number;
  timestamp: number;
  /** absent when the event does not name one */
  timestampType?: TimestampType;
  key: K;
  value: V;
  headers: RecordHeader[];
}

/** The not-yet-applied records of one partition, in offset order. */
export interface Batch<K, V> {
  topic: string;
  partition: number;
  records: Array<SourceRecord<K, V>>;
}

export interface Output<K, V> {
  key?: K;
  value: V;
  headers?: Record<string, string | Buffer> | RecordHeader[];
  /** an explicit target partition; otherwise the sink's partitioner decides */
  partition?: number;
}

type SinkKey<S> = S extends Sink<unknown, infer K> ? K : never;
type SinkValue<S> = S extends Sink<infer V, unknown> ? V : never;

export type Emitters<Sinks extends Record<string, AnySink>> = {
  [N in keyof Sinks]: (output: Output<SinkKey<Sinks[N]>, SinkValue<Sinks[N]>>) => void;
};

export interface ProcessContext<S extends Record<string, StateSpec>, Sinks extends Record<string, AnySink>> {
  state: StateViews<S>;
  emit: Emitters<Sinks>;
  log: Logger;
  task: { fn: string; topic: string; partition: number };
}

export interface FunctionConfig<
  K,
  V,
  S extends Record<string, StateSpec>,
  Sinks extends Record<string, AnySink>,
> {
  /** unique per deployment: names checkpoints, transactional ids and the outbox consumer group */
  name: string;
  source: { topic: string; key?: Serde<K>; value: Serde<V> };
  state?: S;
  sinks?: Sinks;
  /**
   * User code. May run again for the same records after a crash, so it must be deterministic
   * given (records, state): no clocks, randomness or external writes; emit outputs instead.
   */
  process(batch: Batch<K, V>, context: ProcessContext<S, Sinks>): void | Promise<void>;
  /**
   * A record that fails terminally (TerminalError, undecodable): `'fail'` (default) fails the
   * batch; `'quarantine-key'` parks it and the later records of its key (README "Errors and
   * poison records").
   */
  onError?: OnError;
  /** where quarantined records go and how many a task keeps (needs onError: 'quarantine-key') */
  quarantine?: QuarantineOptions;
}

/** A validated definition, as carried by the handler for the emulator, CLI and tests. */
export interface FunctionDefinition<
  // biome-ignore lint/suspicious/noExplicitAny: a definition of any key type (see AnySink)
  K = any,
  // biome-ignore lint/suspicious/noExplicitAny: a definition of any value type (see AnySink)
  V = any,
  S extends Record<string, StateSpec> = Record<string, StateSpec>,
  Sinks extends Record<string, AnySink> = Record<string, AnySink>,
> {
  name: string;
  source: { topic: string; key: Serde<K>; value: Serde<V> };
  state: S;
  sinks: Sinks;
  process: FunctionConfig<K, V, S, Sinks>['process'];
  /** set when onError is 'quarantine-key'; its sink is in `sinks` under a reserved name */
  quarantine?: QuarantinePolicy;
}
