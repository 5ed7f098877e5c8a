import { crc32 } from 'node:zlib';
import type { AppliedRecord, Checkpoint, TaskId } from '../core/checkpoint';
import { SourceChangedError } from '../core/errors';
import type { Logger } from '../core/log';
import { taskKey, taskName } from '../core/task';
import type { RawRecord } from '../event/types';

/**
 * Offsets missing before a batch beyond this many are worth a warning: compaction and
 * transaction markers leave small gaps; thousands mean retention deleted records the task never
 * applied (it fell behind for longer than `retention.ms`), or the trigger skipped ahead.
 */
export const GAP_WARNING_RECORDS = 1_000;
/**
 * Clocks of brokers and Lambda disagree by less than this: a LogAppendTime record stamped later
 * than this after a commit was appended after it.
 */
export const LOG_APPEND_SKEW_MS = 5 * 60_000;

/** What the checkpoint keeps of the last record it applies (tells a redelivery from a changed log). */
export function appliedRecord(record: RawRecord): AppliedRecord {
  let crc = crc32(record.key ?? Buffer.alloc(0));
  crc = crc32(record.value ?? Buffer.alloc(0), crc);
  return { offset: record.offset, timestamp: record.timestamp, fingerprint: crc.toString(16) };
}

/**
 * Checks records below the checkpoint's next offset (about to be skipped as applied) against
 * what the checkpoint knows of the log it applied: the record at its last applied offset must be
 * the one it applied, and a broker-stamped (LogAppendTime) record below it cannot have been
 * appended after the commit. Either failing means the log changed: fail, never skip silently.
 * A CreateTime record proves nothing by its time (producers set it): only the offset match
 * speaks for those topics.
 */
export function checkSkippedRecords(task: TaskId, base: Checkpoint, skipped: RawRecord[]): void {
  const fail = (evidence: string) =>
    new SourceChangedError(taskName(task), task.fn, task.partition, evidence);
  const last = base.last;
  for (const record of skipped) {
    if (last && record.offset === last.offset) {
      const seen = appliedRecord(record);
      if (seen.timestamp !== last.timestamp || seen.fingerprint !== last.fingerprint) {
        throw fail(
          `the record at offset ${last.offset} now has timestamp ${seen.timestamp} and checksum ${seen.fingerprint}; ` +
            `the one applied had ${last.timestamp} and ${last.fingerprint}`,
        );
      }
    }
    if (
      record.timestampType === 'LOG_APPEND_TIME' &&
      record.timestamp > base.committedAt + LOG_APPEND_SKEW_MS
    ) {
      throw fail(
        `the broker appended the record at offset ${record.offset} at ${new Date(record.timestamp).toISOString()}, ` +
          `after the checkpoint that counts it as applied was committed (${new Date(base.committedAt).toISOString()})`,
      );
    }
  }
}

/** Logs a forward gap between the checkpoint and a batch: info when small, a warning when large. */
export function logGap(log: Logger, task: TaskId, expected: number, got: number): void {
  const gap = got - expected;
  if (gap <= 0) return;
  const fields = { task: taskKey(task), expected, got, gap };
  if (gap > GAP_WARNING_RECORDS) {
    log.warn(
      `${gap} offsets missing before the batch: records the task never applied were deleted (retention) ` +
        'or skipped by the trigger; if that was not intended, rewind to a savepoint (sluice rewind)',
      fields,
    );
  } else {
    log.info('offset gap before batch (compaction, transaction markers or retention)', fields);
  }
}
