import { silentLogger } from '../../../../lib/core/log';
import { decodeEvent } from '../../../../lib/event/decode';
import { toRawRecord } from '../../../../lib/event/encode';
import type { RawRecord } from '../../../../lib/event/types';
import type { Clock } from '../../../../tools/trigger/clock';
import type { InvokeOutcome, Invoker } from '../../../../tools/trigger/invoker';
import type { FailureMessage, OnFailureSink } from '../../../../tools/trigger/on-failure';
import { createPartitionWorker, type PartitionWorkerDeps } from '../../../../tools/trigger/partition-worker';
import { retryPolicyFor } from '../../../../tools/trigger/retry-policy';
import { createSemaphore } from '../../../../tools/trigger/semaphore';
import { resolveTriggerSettings, type TriggerSettingsInput } from '../../../../tools/trigger/settings';
import { createCounters, createRateMeter } from '../../../../tools/trigger/stats';

export const T0 = 1_700_000_000_000;

/** Virtual time: sleeping advances it at once, so windows and backoffs cost no real time. */
export function fakeClock(start = T0): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) return;
      now += Math.max(0, ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    advance(ms) {
      now += ms;
    },
  };
}

export function records(count: number, init: { from?: number; partition?: number; timestamp?: number } = {}) {
  const from = init.from ?? 0;
  return Array.from({ length: count }, (_, i) =>
    toRawRecord({
      topic: 'in',
      partition: init.partition ?? 0,
      offset: from + i,
      key: `k${from + i}`,
      value: `v${from + i}`,
      timestamp: init.timestamp ?? T0,
    }),
  );
}

export interface Call {
  offsets: number[];
  at: number;
  event: unknown;
}

/** An invoker answering from a script; it records every event it was given. */
export function scriptedInvoker(
  answer: (offsets: number[], call: number) => InvokeOutcome | Promise<InvokeOutcome>,
  clock: Clock,
) {
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const invoker: Invoker = {
    async invoke(request) {
      const event = JSON.parse(request.eventJson) as unknown;
      const offsets = decodeEvent(event).batches.flatMap((b) => b.records.map((r) => r.offset));
      calls.push({ offsets, at: clock.now(), event });
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        return await answer(offsets, calls.length);
      } finally {
        active--;
      }
    },
    async close() {},
    memory: () => null,
  };
  return { invoker, calls, maxActive: () => maxActive };
}

export const ok: InvokeOutcome = { ok: true, response: null };
export const fail = (message = 'boom'): InvokeOutcome => ({
  ok: false,
  error: { errorType: 'Error', errorMessage: message },
});

export function recordingSink(topic = 'dlt'): OnFailureSink & { sent: FailureMessage[] } {
  const sent: FailureMessage[] = [];
  return {
    topic,
    sent,
    async send(messages) {
      sent.push(...messages);
    },
  };
}

/** A worker wired to fakes; `commits` and `pauses` record what it asked of the consumer. */
export function testWorker(
  invoker: Invoker,
  clock: Clock,
  settings: Partial<TriggerSettingsInput> = {},
  overrides: Partial<PartitionWorkerDeps> = {},
) {
  const resolved = resolveTriggerSettings('fn', { topic: 'in', maximumBatchingWindow: 0, ...settings }, 'fn');
  const commits: number[] = [];
  const pauses: string[] = [];
  const counters = createCounters();
  const onFailure = overrides.onFailure ?? null;
  const worker = createPartitionWorker({
    topic: 'in',
    partition: 0,
    settings: resolved,
    envelope: { eventSource: 'SelfManagedKafka', bootstrapServers: ['127.0.0.1:9092'] },
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
    invoker,
    timeoutMs: 6_000,
    filter: () => true,
    policy: retryPolicyFor(resolved, { initialMs: 100, maxMs: 1_000 }),
    onFailure,
    concurrency: createSemaphore(),
    clock,
    log: silentLogger,
    counters,
    rate: createRateMeter(),
    async commit(offset) {
      commits.push(offset);
    },
    pause: () => pauses.push('pause'),
    resume: () => pauses.push('resume'),
    ...overrides,
  });
  return { worker, commits, pauses, counters };
}

/** Polls (real time, short) until `check` holds. */
export async function until(check: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export function lastOf(list: number[]): number | undefined {
  return list.at(-1);
}

export type { RawRecord };
