/**
 * Delivers one batch the way Lambda's Kafka ESM does, with its error controls
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html):
 *
 * - a failed batch is retried with backoff, up to `maximumRetryAttempts` (-1: until the records
 *   expire; 10 when there is an on-failure topic), then its records are discarded;
 * - `maximumRecordAgeInSeconds`: records older than that (by their Kafka timestamp) are discarded
 *   before any invocation, first or retry;
 * - `bisectBatchOnFunctionError`: a failed batch of several records is split in two and the
 *   halves retried in order. A split is not counted as a retry (AWS leaves this unspecified; it
 *   is how EventBridge Pipes' AUTOMATIC_BISECT behaves): a single bad record ends up alone, and
 *   only it is retried and discarded;
 * - partial batch response (`reportBatchItemFailures`): records before the lowest reported
 *   offset are done, the rest is retried (a retry: it counts);
 * - discarded records go to the on-failure topic with Lambda's failure metadata, or are logged;
 * - a single record whose event exceeds 6 MB is discarded (`MaximumPayloadSizeExceeded`).
 *
 * It reports progress (the first record not yet done) after each step, so the worker commits
 * as far as it safely can; on abort it stops between steps, leaving the rest uncommitted.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/core/log';
import type { RawRecord } from '../../lib/event/types';
import { judgeOutcome } from './batch-response';
import type { Clock } from './clock';
import type { InvokeOutcome, Invoker } from './invoker';
import { type FailureDetails, failureMessage, type OnFailureSink } from './on-failure';
import { type EventEnvelope, type EventRecord, eventJsonOf } from './payload-size';
import type { RetryPolicy } from './retry-policy';
import type { SchemaDecoder } from './schema-decoding';
import type { Semaphore } from './semaphore';
import type { TriggerSettings } from './settings';
import type { createRateMeter, TriggerCounters } from './stats';

export interface DeliveryDeps {
  topic: string;
  partition: number;
  settings: Pick<TriggerSettings, 'bisectBatchOnFunctionError' | 'reportBatchItemFailures'>;
  envelope: EventEnvelope;
  /** For the failure metadata's `functionArn`. */
  functionArn: string;
  invoker: Invoker;
  timeoutMs: number;
  policy: RetryPolicy;
  onFailure: OnFailureSink | null;
  /** Shared by the function's partitions (reserved concurrency). */
  concurrency: Semaphore;
  clock: Clock;
  log: Logger;
  counters: TriggerCounters;
  rate: ReturnType<typeof createRateMeter>;
  maxPayloadBytes: number;
  /** Lambda's schema-registry integration, when the trigger has one (schema-decoding.ts) */
  schemaDecoder?: SchemaDecoder;
}

export interface DeliveryHooks {
  /** Aborted when the worker stops: no new step starts. */
  signal: AbortSignal;
  /** The first offset not done yet (null: the whole batch is done). */
  progress(firstNotDone: number | null): void;
  /** An invocation started / ended. */
  invoking(active: boolean): void;
}

interface Segment {
  entries: EventRecord[];
  /** Retries spent (splits do not count). */
  attempts: number;
  /** Invocations that included these records (for approximateInvokeCount). */
  invocations: number;
}

export function createDelivery(deps: DeliveryDeps) {
  const { topic, partition, settings, clock, log, counters, policy } = deps;
  const task = `${topic}-${partition}`;

  async function invoke(eventJson: string, hooks: DeliveryHooks): Promise<InvokeOutcome | null> {
    let release: () => void;
    try {
      release = await deps.concurrency.acquire(hooks.signal);
    } catch {
      return null;
    }
    hooks.invoking(true);
    counters.invocations++;
    try {
      return await deps.invoker.invoke({ eventJson, requestId: randomUUID(), timeoutMs: deps.timeoutMs });
    } finally {
      hooks.invoking(false);
      release();
    }
  }

  /** Sends records to the on-failure topic (retrying until it works or the worker stops). */
  async function discard(
    records: RawRecord[],
    details: FailureDetails,
    signal: AbortSignal,
  ): Promise<boolean> {
    const range = `${task}@${records[0]!.offset}..${records.at(-1)!.offset}`;
    if (deps.onFailure === null) {
      log.error(
        `discarding ${records.length} record(s) ${range}: ${details.condition} (no on-failure topic; Lambda discards them too)`,
        {
          task,
          condition: details.condition,
        },
      );
      counters.discarded += records.length;
      return true;
    }
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const now = clock.now();
        const context = { envelope: deps.envelope, functionArn: deps.functionArn, now };
        await deps.onFailure.send(records.map((r) => failureMessage(r, details, context)));
        counters.discarded += records.length;
        counters.sentToOnFailure += records.length;
        log.warn(
          `sent ${records.length} record(s) ${range} to ${deps.onFailure.topic}: ${details.condition}`,
          {
            task,
          },
        );
        return true;
      } catch (error) {
        log.error(`on-failure topic ${deps.onFailure.topic} unavailable; retrying`, {
          task,
          error: String(error),
        });
        await clock.sleep(policy.backoffMs(attempt), signal);
      }
    }
    return false;
  }

  /** Delivers `taken` (one batch, in offset order); resolves when it is all done or on abort. */
  return async function deliver(batch: EventRecord[], hooks: DeliveryHooks): Promise<void> {
    let taken = batch;
    if (deps.schemaDecoder) {
      // Lambda decodes before it invokes: what it cannot decode is never sent to the function.
      hooks.progress(taken[0]?.record.offset ?? null);
      const decoded = await deps.schemaDecoder.decode(taken, hooks.signal);
      if (decoded === null) return;
      for (const { record, reason, message } of decoded.failed) {
        log.warn(`${task}@${record.offset}: ${reason}: ${message}`, { task });
        if (!(await discard([record], { condition: reason, invokeCount: 0 }, hooks.signal))) return;
      }
      taken = decoded.entries;
      if (taken.length === 0) {
        hooks.progress(null);
        return;
      }
    }
    const segments: Segment[] = [{ entries: taken, attempts: 0, invocations: 0 }];
    const track = () => hooks.progress(segments[0]?.entries[0]?.record.offset ?? null);
    let lastError: string | undefined;
    track();
    while (segments.length > 0 && !hooks.signal.aborted) {
      const segment = segments[0]!;

      if (policy.maxRecordAgeMs !== null) {
        const now = clock.now();
        const maxAge = policy.maxRecordAgeMs;
        const expired = segment.entries.filter(
          (e) => e.record.timestamp >= 0 && now - e.record.timestamp > maxAge,
        );
        if (expired.length > 0) {
          const details: FailureDetails = {
            condition: 'RecordAgeExceeded',
            invokeCount: segment.invocations,
          };
          if (
            !(await discard(
              expired.map((e) => e.record),
              details,
              hooks.signal,
            ))
          )
            return;
          segment.entries = segment.entries.filter((e) => !expired.includes(e));
          if (segment.entries.length === 0) segments.shift();
          track();
          continue;
        }
      }

      const records = segment.entries.map((e) => e.record);
      const eventJson = eventJsonOf(
        deps.envelope,
        topic,
        partition,
        segment.entries.map((e) => e.json),
      );
      if (Buffer.byteLength(eventJson) > deps.maxPayloadBytes) {
        // Only a single oversized record gets here (the batcher keeps batches within the limit).
        if (records.length === 1) {
          const details: FailureDetails = { condition: 'MaximumPayloadSizeExceeded', invokeCount: 0 };
          if (!(await discard(records, details, hooks.signal))) return;
          segments.shift();
        } else {
          segments.splice(0, 1, ...halves(segment));
        }
        track();
        continue;
      }

      const outcome = await invoke(eventJson, hooks);
      if (outcome === null) return;
      segment.invocations++;
      const offsets = records.map((r) => r.offset);
      const verdict = judgeOutcome(outcome, { topic, partition, offsets }, settings.reportBatchItemFailures);
      if (verdict.kind === 'success') {
        counters.delivered += records.length;
        deps.rate.add(records.length, clock.now());
        segments.shift();
        track();
        continue;
      }

      counters.errors++;
      if (verdict.kind === 'partial') {
        const done = segment.entries.findIndex((e) => e.record.offset >= verdict.from);
        counters.delivered += done;
        deps.rate.add(done, clock.now());
        segment.entries = segment.entries.slice(done);
        segment.attempts++;
        lastError = `partial batch response: failed from offset ${verdict.from}`;
        track();
      } else {
        lastError = verdict.error;
        if (settings.bisectBatchOnFunctionError && segment.entries.length > 1) {
          counters.bisects++;
          log.warn(`function error on ${task}@${offsets[0]}..${offsets.at(-1)}; splitting the batch`, {
            task,
            error: verdict.error,
          });
          segments.splice(0, 1, ...halves(segment));
          continue;
        }
        segment.attempts++;
      }

      if (policy.maxRetries !== null && segment.attempts > policy.maxRetries) {
        const details: FailureDetails = {
          condition: 'RetryAttemptsExhausted',
          invokeCount: segment.invocations,
          functionError: lastError,
        };
        if (
          !(await discard(
            segment.entries.map((e) => e.record),
            details,
            hooks.signal,
          ))
        )
          return;
        segments.shift();
        track();
        continue;
      }
      counters.retries++;
      const backoff = policy.backoffMs(segment.attempts);
      const first = segment.entries[0]!.record.offset;
      const last = segment.entries.at(-1)!.record.offset;
      log.warn(
        `function error on ${task}@${first}..${last} (retry ${segment.attempts}); retrying in ${backoff} ms`,
        {
          task,
          error: lastError,
        },
      );
      await clock.sleep(backoff, hooks.signal);
    }
    track();
  };
}

function halves(segment: Segment): Segment[] {
  const middle = Math.ceil(segment.entries.length / 2);
  return [
    {
      entries: segment.entries.slice(0, middle),
      attempts: segment.attempts,
      invocations: segment.invocations,
    },
    { entries: segment.entries.slice(middle), attempts: segment.attempts, invocations: segment.invocations },
  ];
}
