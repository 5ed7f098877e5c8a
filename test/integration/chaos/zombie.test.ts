/**
 * Two processes (Lambda instances) working the same partition batches at once: two stores over
 * one table, two Kafka publishers, so two producers with the same transactional id per task.
 * Real broker, aws store; verified with read_committed readers (kafkajs and kcat).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KafkaPublisher } from '../../../lib/sink/kafka-publisher';
import type { Publishers } from '../../../lib/sink/publisher';
import { chaosWordCount, random, referenceFold, type Sentence, sentences } from '../../chaos/word-count';
import { waitFor } from '../helpers/wait-for';
import {
  type ChaosEnv,
  chaosTopics,
  closeChaosEnv,
  expectExactlyOnce,
  expectStateEqualsFold,
  openChaosEnv,
  startProcess,
} from './setup';

const PARTITIONS = 3;
let env: ChaosEnv;

beforeAll(async () => {
  env = await openChaosEnv();
});
afterAll(async () => closeChaosEnv(env));

const records = (batch: Sentence[]) => batch.map((s) => ({ partition: s.partition, value: s.value }));

/** Publishers whose transactions wait at `mid-publish` (messages sent, not committed) while `held`. */
function gated() {
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const state = { held: false, waiting: 0 };
  const wrap = (publisher: KafkaPublisher): Publishers => ({
    kafka: {
      publish: (request) =>
        publisher.publish({
          ...request,
          faults: async (point, task) => {
            if (point === 'mid-publish' && state.held) {
              state.waiting += 1;
              await gate;
            }
            return request.faults(point, task);
          },
        }),
      close: () => publisher.close(),
    },
  });
  return {
    wrap,
    state,
    hold() {
      state.held = true;
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release() {
      state.held = false;
      release();
    },
  };
}

it('a zombie paused inside its transaction is fenced by the retry, which publishes once', async () => {
  const { source, sink } = await chaosTopics(env);
  const handler = chaosWordCount({ fn: `zombie-gate-${source.slice(-8)}`, source, sink });
  const all = sentences(11, 60, PARTITIONS);
  const [b1, b2, b3] = [all.slice(0, 20), all.slice(20, 40), all.slice(40)];
  const gate = gated();
  const a = startProcess(env, handler, gate.wrap);
  await a.harness.invoke(records(b1));

  // A commits batch 2 and stops inside each partition's publish transaction (outputs sent).
  const event2 = a.harness.event(records(b2));
  gate.hold();
  const zombie = a.harness.invokeEvent(event2);
  const partitions2 = new Set(b2.map((s) => s.partition)).size;
  await waitFor(() => gate.state.waiting === partitions2, { message: 'A never reached mid-publish' });

  // Lambda thinks A timed out and retries on B: B's init fences A and aborts its transactions.
  const b = startProcess(env, handler);
  await b.harness.invokeEvent(event2);

  // A wakes up: its commit is refused (fenced); it re-inits, reads the marker, skips.
  gate.release();
  await zombie;
  expect(a.publisher.stats()).toMatchObject({ retriedAttempts: partitions2, skippedAfterRead: partitions2 });

  // B goes on; its warm producers were fenced by A's re-init, so it recovers the same way.
  const event3 = a.harness.event(records(b3));
  await b.harness.invokeEvent(event3);
  // A (stale warm state at batch 2) gets batch 3 too: its commit conflicts, so it re-runs the
  // batch on the current checkpoint (all applied: skipped) instead of failing; nothing is published.
  await a.harness.invokeEvent(event3);
  expect(a.harness.reruns).toBe(new Set(b3.map((s) => s.partition)).size);

  const reference = referenceFold(all);
  await expectExactlyOnce(env, sink, reference, 'gated zombie');
  await expectStateEqualsFold(b.harness, reference, PARTITIONS);
  await a.abandon();
  await b.abandon();
});

it('concurrent deliveries of the same batches to two processes: exactly once, in order', async () => {
  const { source, sink } = await chaosTopics(env);
  const handler = chaosWordCount({ fn: `zombie-race-${source.slice(-8)}`, source, sink });
  const rounds = 12;
  const all = sentences(23, rounds * 15, PARTITIONS);
  const next = random(5);
  const a = startProcess(env, handler);
  const b = startProcess(env, handler);
  const processes = [a, b];
  const events: unknown[] = [];
  let failures = 0;
  for (let round = 0; round < rounds; round++) {
    const event = a.harness.event(records(all.slice(round * 15, (round + 1) * 15)));
    events.push(event);
    // Both get the batch at once; sometimes one of them gets an older batch again instead.
    const older = events[Math.floor(next() * events.length)];
    const results = await Promise.allSettled([
      a.harness.invokeEvent(event),
      b.harness.invokeEvent(next() < 0.3 ? older : event),
    ]);
    failures += results.filter((r) => r.status === 'rejected').length;
    // Lambda keeps retrying the batch until an invocation succeeds.
    for (let attempt = 0; ; attempt++) {
      const retry = processes[Math.floor(next() * 2)]!;
      try {
        await retry.harness.invokeEvent(event);
        break;
      } catch (error) {
        if (attempt > 5) throw error;
      }
    }
  }
  const reference = referenceFold(all);
  const checks = await expectExactlyOnce(env, sink, reference, 'concurrent deliveries');
  await expectStateEqualsFold(a.harness, reference, PARTITIONS);
  const stats = { a: a.publisher.stats(), b: b.publisher.stats() };
  console.log('zombie race:', JSON.stringify({ failures, outputs: checks.kcat.seen, ...stats }));
  // The race must have happened: conflicts or fencing at least once.
  expect(failures + stats.a.retriedAttempts + stats.b.retriedAttempts).toBeGreaterThan(0);
  await a.abandon();
  await b.abandon();
});
