/**
 * One base error with a stable `code` and a `retriable` flag. AWS and Kafka errors are mapped to
 * these at the boundary, so user code and the trigger only ever see Sluice errors.
 */
export const ERROR_CODES = [
  'CONFIG',
  'MALFORMED_EVENT',
  'DECODE',
  'CHECKPOINT_CONFLICT',
  'STORE',
  'HANDLER',
  'PUBLISH',
  'UNPUBLISHABLE_OUTPUT',
  'LATE_CALL',
  'INJECTED_FAULT',
  'STACK_UNAVAILABLE',
  'TERMINAL',
  'QUARANTINE_FULL',
  'SOURCE_CHANGED',
  'TASK_REWOUND',
  'SCHEMA_REGISTRY_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Bad configuration: found at definition or cold start, never retried. */
export class ConfigError extends SluiceError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** A Lambda Kafka event that does not have the documented shape. `path` names the field. */
export class MalformedEventError extends SluiceError {
  readonly path: string;
  constructor(path: string, expected: string, got: unknown) {
    super('MALFORMED_EVENT', `malformed Kafka event: ${path} must be ${expected}, got ${describe(got)}`);
    this.path = path;
  }
}

/** A record whose key or value the source serde cannot decode. Retrying will not help. */
export class DecodeError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  constructor(
    where: { topic: string; partition: number; offset: number },
    part: 'key' | 'value',
    cause: unknown,
  ) {
    super(
      'DECODE',
      `cannot decode the ${part} of record ${where.topic}-${where.partition}@${where.offset}: ${messageOf(cause)}. ` +
        `Fix the producer or the source.${part} serde; the record is not skipped silently: it is quarantined with ` +
        "onError: 'quarantine-key', otherwise it fails its batch (route it with an on-failure destination)",
      { cause },
    );
    this.topic = where.topic;
    this.partition = where.partition;
    this.offset = where.offset;
  }
}

/**
 * A record framed for a schema registry that cannot be decoded: its schema id is unknown to the
 * registry (`SCHEMA_NOT_FOUND`), or its bytes are corrupt or do not match the schema
 * (`DESERIALIZATION_ERROR`; Lambda's own reasons). Terminal, like any `DecodeError`.
 * (Issue 16; a subclass of DecodeError so that the terminal-error work of issue 14 covers it.)
 */
export class SchemaDecodeError extends DecodeError {
  readonly schemaId: string | undefined;
  readonly reason: 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR';
  constructor(
    where: { topic: string; partition: number; offset: number },
    part: 'key' | 'value',
    failure: { reason: 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR'; schemaId: string | undefined },
    cause: unknown,
  ) {
    super(where, part, cause);
    this.schemaId = failure.schemaId;
    this.reason = failure.reason;
  }
}

/**
 * The schema registry did not answer (network, 5xx, throttling, credentials it refused): the
 * record may be fine, so the batch is retried, never sent to the on-failure destination.
 */
export class SchemaRegistryUnavailableError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('SCHEMA_REGISTRY_UNAVAILABLE', message, { retriable: true, cause });
  }
}

/** Another invocation committed first: this one is a zombie and changed nothing. Lambda retries. */
export class CheckpointConflictError<C = unknown> extends SluiceError {
  readonly current: C | null;
  constructor(task: string, expectedVersion: number, current: C | null) {
    super(
      'CHECKPOINT_CONFLICT',
      `checkpoint of ${task} moved past version ${expectedVersion}: another invocation owns this partition; ` +
        'this one is fenced and changed nothing (the batch is retried from the new checkpoint)',
      { retriable: true },
    );
    this.current = current;
  }
}

/**
 * Records at offsets the checkpoint counts as applied are not the records it applied: the source
 * topic was deleted and recreated, or truncated (unclean leader election). Skipping them would
 * drop them silently; applying them would mix two logs. Retrying will not help: an operator
 * decides, with `sluice reset` or `sluice rewind`.
 */
export class SourceChangedError extends SluiceError {
  constructor(task: string, fn: string, partition: number, evidence: string) {
    super(
      'SOURCE_CHANGED',
      `the source log of ${task} changed under its checkpoint: ${evidence}. The topic was probably deleted and ` +
        'recreated, or truncated by an unclean leader election; nothing was applied. Decide where the task ' +
        `starts over: \`sluice reset ${fn} --partition ${partition}\` (empty state from the earliest offset) or ` +
        `\`sluice rewind ${fn} --to <savepoint | ISO time>\` (docs/cli.md); disable the trigger first`,
      { retriable: false },
    );
  }
}

/**
 * The task was rewound (or reset) while this batch was in flight, and the batch starts after the
 * rewind point: it belongs to the history before the rewind and must not be applied on the new
 * one. The trigger redelivers from the rewind point.
 */
export class TaskRewoundError extends SluiceError {
  constructor(task: string, next: number, first: number) {
    super(
      'TASK_REWOUND',
      `${task} was rewound to offset ${next} while this batch (from offset ${first}) was in flight: the batch ` +
        'belongs to the history before the rewind and was not applied; the trigger delivers again from the rewind point',
      { retriable: false },
    );
  }
}

/** The checkpoint store failed (I/O, throttling, 5xx); retriable unless stated. */
export class StoreError extends SluiceError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super('STORE', message, { retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** The user's process() threw. Nothing was committed. */
export class HandlerError extends SluiceError {
  constructor(task: string, cause: unknown) {
    super('HANDLER', `process() failed for ${task}: ${messageOf(cause)}; nothing was committed`, {
      retriable: true,
      cause,
    });
  }
}

/** Publishing a committed outbox failed; it stays in the checkpoint and is flushed on retry. */
export class PublishError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super('PUBLISH', message, { retriable: true, cause });
  }
}

/**
 * An output that can never be published (a partition the sink topic does not have, a record
 * over its size limit): the batch fails before its commit, so nothing unpublishable is ever
 * committed. Retrying does not help: fix the function, or route the record to the on-failure
 * destination.
 */
export class UnpublishableOutputError extends SluiceError {
  constructor(message: string) {
    super('UNPUBLISHABLE_OUTPUT', message);
  }
}

/**
 * emit() or state used after process() returned: typically a missing `await`. What it did is in
 * no commit, so it would be lost (or published uncommitted): it throws instead.
 */
export class LateCallError extends SluiceError {
  constructor(what: string, task: string) {
    super(
      'LATE_CALL',
      `${what} after process() returned for ${task}: it belongs to no commit and is refused. ` +
        'A missing `await` in process()? Await every promise before process() returns.',
    );
  }
}

/**
 * Thrown by `process()` for a record that can never succeed (invalid content, a business rule
 * it breaks): retrying is pointless. Every other error thrown by `process()` is retried (Lambda
 * retries the batch). With `onError: 'quarantine-key'` the record and the later records of its
 * key are parked in the task's quarantine and every other key keeps flowing; with the default
 * `onError: 'fail'` the batch fails as any other error does.
 *
 * @example
 * process(batch, { state }) {
 *   for (const record of batch.records) {
 *     if (typeof record.value.amount !== 'number') {
 *       throw new TerminalError(`amount missing in order ${record.key}`);
 *     }
 *     state.totals.set(record.key, (state.totals.get(record.key) ?? 0) + record.value.amount);
 *   }
 * }
 */
export class TerminalError extends SluiceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TERMINAL', message, { retriable: false, cause: options.cause });
  }
}

/**
 * A task's quarantine holds as many records as `quarantine.maxRecords` allows: parking one more
 * would grow the state without bound, so the batch fails (and is retried) until an operator
 * replays or drops quarantined records.
 */
export class QuarantineFullError extends SluiceError {
  constructor(message: string) {
    super('QUARANTINE_FULL', message, { retriable: true });
  }
}

/** A crash injected by tests at a named protocol point. */
export class InjectedFault extends SluiceError {
  readonly point: string;
  constructor(point: string) {
    super('INJECTED_FAULT', `injected fault at ${point}`, { retriable: true });
    this.point = point;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${typeof value === 'object' ? '' : String(value)}`.trim();
}
