import {
  ConfigError,
  DecodeError,
  HandlerError,
  TerminalError,
  UnpublishableOutputError,
} from '../core/errors';
import type { Serde } from '../core/serde';
import { kafkaSink } from '../sink/kafka';
import { type AnySink, isSink } from '../sink/sink';

/**
 * What happens to a record that fails terminally (DecodeError, TerminalError, an output that can
 * never be published, or what `quarantine.isTerminal` says): `fail` (default) fails its batch as
 * any error does, so Lambda retries, bisects and finally skips it to the on-failure destination;
 * `quarantine-key` parks the record and every later record of its key in the task's quarantine
 * while the other keys keep flowing.
 */
export type OnError = 'fail' | 'quarantine-key';

/** `defineFunction({ onError: 'quarantine-key', quarantine: { ... } })`: every field optional. */
export interface QuarantineOptions {
  /** topic the quarantined records are published to (default `<source topic>.quarantine`) */
  topic?: string;
  /** or a sink of your own for them (e.g. `logSink()` locally); its serdes are not used */
  sink?: AnySink;
  /**
   * Records a task's quarantine may hold (default 1000). Reaching it fails the batch with
   * QuarantineFullError until records are replayed or dropped (`sluice quarantine`).
   */
  maxRecords?: number;
  /**
   * Classifies other errors thrown by process() as terminal (e.g. a schema library's
   * validation error). TerminalError and DecodeError are terminal whatever this says.
   */
  isTerminal?: (error: unknown) => boolean;
}

/** The validated policy a definition carries when `onError` is `quarantine-key`. */
export interface QuarantinePolicy {
  /** the reserved sink name its records are published through (in `definition.sinks`) */
  sink: typeof QUARANTINE_SINK;
  maxRecords: number;
  isTerminal?: (error: unknown) => boolean;
}

/** Sink name of the quarantine output: not an identifier, so no user sink can take it. */
export const QUARANTINE_SINK = '~quarantine';
export const DEFAULT_QUARANTINE_MAX_RECORDS = 1000;

/**
 * How readers of the definition (the harness, `sluice invoke`, log sinks) show a quarantined
 * key or value: UTF-8, undecodable sequences replaced, never a throw. Publishing never uses it:
 * the outbox holds the record's own bytes.
 */
const lossyText: Serde<unknown> = {
  name: 'lossy-utf8',
  serialize: (value) => (value === null ? null : Buffer.from(String(value), 'utf8')),
  deserialize: (b) => (b === null ? null : b.toString('utf8')),
};

/**
 * Validates `onError` and `quarantine` of a definition (cross-field: `quarantine` needs
 * `onError: 'quarantine-key'`) and returns the policy and its sink, or null for `fail`.
 */
export function quarantinePolicyOf(
  where: string,
  sourceTopic: string,
  onError: unknown,
  options: unknown,
): { policy: QuarantinePolicy; sink: AnySink } | null {
  if (onError !== undefined && onError !== 'fail' && onError !== 'quarantine-key') {
    throw new ConfigError(
      `${where}: onError must be 'fail' (default) or 'quarantine-key', got ${String(onError)}`,
    );
  }
  if (onError !== 'quarantine-key') {
    if (options !== undefined) {
      throw new ConfigError(
        `${where}: quarantine is set but onError is not 'quarantine-key': add onError: 'quarantine-key' or remove quarantine`,
      );
    }
    return null;
  }
  const o = (options ?? {}) as QuarantineOptions;
  if (typeof o !== 'object' || o === null) throw new ConfigError(`${where}: quarantine must be an object`);
  const allowed = ['topic', 'sink', 'maxRecords', 'isTerminal'];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${where}.quarantine: unknown option "${key}"; allowed: ${allowed.join(', ')}`);
    }
  }
  if (o.topic !== undefined && o.sink !== undefined) {
    throw new ConfigError(`${where}.quarantine: set topic or sink, not both`);
  }
  if (o.sink !== undefined && !isSink(o.sink)) {
    throw new ConfigError(`${where}.quarantine.sink must be a sink, e.g. kafkaSink({ topic }) or logSink()`);
  }
  if (o.topic !== undefined && (typeof o.topic !== 'string' || o.topic.length === 0)) {
    throw new ConfigError(`${where}.quarantine.topic must be a topic name`);
  }
  if (o.topic === sourceTopic || o.sink?.target === sourceTopic) {
    throw new ConfigError(
      `${where}.quarantine: the quarantine topic cannot be the source topic "${sourceTopic}"`,
    );
  }
  const maxRecords = o.maxRecords ?? DEFAULT_QUARANTINE_MAX_RECORDS;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new ConfigError(
      `${where}.quarantine.maxRecords must be a positive integer, got ${String(o.maxRecords)}`,
    );
  }
  if (o.isTerminal !== undefined && typeof o.isTerminal !== 'function') {
    throw new ConfigError(`${where}.quarantine.isTerminal must be a function (error) => boolean`);
  }
  const sink: AnySink = o.sink
    ? { ...o.sink, key: lossyText, value: lossyText }
    : kafkaSink({ topic: o.topic ?? `${sourceTopic}.quarantine`, key: lossyText, value: lossyText });
  return {
    policy: { sink: QUARANTINE_SINK, maxRecords, ...(o.isTerminal && { isTerminal: o.isTerminal }) },
    sink,
  };
}

/**
 * Whether an error of process() (or of decoding its record) says the record itself is bad:
 * retrying it can never succeed. Store, Kafka and every other error are retriable.
 */
export function isTerminalError(error: unknown, policy: QuarantinePolicy): boolean {
  if (error instanceof TerminalError || error instanceof DecodeError) return true;
  // An output that can never be published is the record's doing (a value it maps to a partition
  // or size the sink cannot take): parking it keeps the partition moving.
  if (error instanceof UnpublishableOutputError) return true;
  if (error instanceof HandlerError && policy.isTerminal) {
    try {
      return policy.isTerminal(error.cause) === true;
    } catch {
      return false;
    }
  }
  return false;
}
