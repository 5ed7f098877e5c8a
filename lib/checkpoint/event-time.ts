import type { Json } from '../core/state-types';
import { TIME_KEY } from '../state/reserved';
import type { RawState } from '../state/view';
import type { FunctionDefinition, SourceRecord } from './definition';

/**
 * Event time of a partition task, Kafka Streams' stream time: the largest event time of the
 * records applied so far (-1 before the first). The watermark is stream time minus the
 * function's grace (allowed out-of-orderness): event-time timers fire, and windows close, once
 * the watermark reaches them. Both are kept in the reserved state key `$time`, so they ride the
 * batch's delta commit and a crash never loses or repeats an advance.
 *
 * Within a batch stream time advances record by record (`at(record)`), so whether a record is
 * late depends only on the records before it in the partition, never on how Lambda cut batches.
 */
export interface TimeOptions {
  /** allowed out-of-orderness (ms): watermark = stream time - graceMs (default 0) */
  graceMs?: number;
  /**
   * The scheduled tick moves the stream time of a task that has applied no record for this long
   * (processing time, ms) up to `now - idleAdvanceMs`: event time is taken to follow the clock
   * within that delay, so windows and event-time timers of an idle partition still close.
   * Unset (default): stream time moves only with records, as in Kafka Streams.
   */
  idleAdvanceMs?: number;
}

/** The event-time position of one record: what it saw when it was applied. */
export interface RecordTime {
  /** the record's event time (Kafka timestamp, or the function's extractor) */
  eventTime: number;
  /** stream time including this record */
  streamTime: number;
  /** stream time - grace, including this record */
  watermark: number;
}

/** What `ctx.time` tells user code. */
export interface TaskTime {
  /** stream time after this batch's records (-1 while the task has seen none) */
  readonly streamTime: number;
  /** streamTime - grace (-Infinity while the task has seen no record) */
  readonly watermark: number;
  /** processing time of this invocation (epoch ms) */
  readonly now: number;
  /** the event time, stream time and watermark as of `record` (a record of this batch) */
  at(record: SourceRecord<unknown, unknown>): RecordTime;
}

interface StoredTime {
  /** stream time */
  s: number;
  /** processing time at which the task last applied a record (only with idleAdvanceMs) */
  r?: number;
}

export const NO_TIME = -1;

/** Whether a function keeps time at all (others keep no `$time` key, as before). */
export function keepsTime(definition: FunctionDefinition): boolean {
  return (
    definition.time !== undefined ||
    definition.onTimer !== undefined ||
    Object.keys(definition.windows ?? {}).length > 0 ||
    Object.values(definition.state).some((spec) => spec.ttlMs !== undefined)
  );
}

export function watermarkOf(streamTime: number, graceMs: number): number {
  return streamTime === NO_TIME ? Number.NEGATIVE_INFINITY : streamTime - graceMs;
}

/**
 * Opens the task's time for one batch (or tick): per-record times, the advanced stream time,
 * and `commit()` to write `$time` into the transaction when it changed.
 */
export function openTaskTime(
  definition: FunctionDefinition,
  raw: RawState,
  records: Array<SourceRecord<unknown, unknown>>,
  now: number,
  options: { tick: boolean },
) {
  const grace = definition.time?.graceMs ?? 0;
  const stored = raw.get(TIME_KEY) as StoredTime | undefined;
  let stream = stored?.s ?? NO_TIME;
  const perRecord = new WeakMap<object, RecordTime>();
  const extract = definition.source.timestamp;
  for (const record of records) {
    let eventTime = extract ? extract(record) : record.timestamp;
    // Kafka Streams' UsePartitionTimeOnInvalidTimestamp: a record without a usable time (a
    // producer that sent -1, an extractor returning garbage) takes the stream time; it never
    // moves time and never fails the partition.
    if (!Number.isSafeInteger(eventTime) || eventTime < 0) eventTime = Math.max(stream, 0);
    stream = Math.max(stream, eventTime);
    perRecord.set(record, { eventTime, streamTime: stream, watermark: watermarkOf(stream, grace) });
  }
  let lastRecordAt = records.length > 0 ? now : stored?.r;
  const idle = definition.time?.idleAdvanceMs;
  if (options.tick && idle !== undefined) {
    // A task that never saw a record has no event time to extrapolate from.
    const quietSince = stored?.r ?? null;
    if (quietSince !== null && now - quietSince >= idle) stream = Math.max(stream, now - idle);
  }
  if (idle === undefined) lastRecordAt = undefined;

  const time: TaskTime = {
    streamTime: stream,
    watermark: watermarkOf(stream, grace),
    now,
    at(record) {
      const found = perRecord.get(record);
      if (!found) {
        throw new TypeError(
          'time.at(record): not a record of this batch (pass the record object process() received)',
        );
      }
      return found;
    },
  };
  return {
    time,
    /** Writes `$time` when stream time (or the last record's processing time) changed. */
    commit(): void {
      if (stream === (stored?.s ?? NO_TIME) && lastRecordAt === stored?.r) return;
      const next: StoredTime = { s: stream };
      if (lastRecordAt !== undefined) next.r = lastRecordAt;
      raw.set(TIME_KEY, next as unknown as Json);
    },
  };
}
