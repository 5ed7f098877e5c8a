/**
 * Two Lambda instances alternating on one partition, as Lambda hands invocations to any warm
 * instance: each hand-over finds the receiving instance's warm checkpoint stale, its commit
 * conflicts, and the batch re-runs once on the current checkpoint in the same invocation. Zero
 * failed invocations; re-runs = stale hand-overs; state = the fold; outputs exactly once
 * (read_committed, kcat and kafkajs). Real broker, aws store (one table for both instances).
 *
 * - `fork`: `harness.fork()`, another warm cache over the same store and the same publisher;
 * - `own publishers`: two processes, each with its own producers, so every hand-over also
 *   fences the other instance's producer of the task (its next publish re-initialises).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../../lib/testing/harness';
import { chaosWordCount, random, referenceFold, sentences } from '../../chaos/word-count';
import {
  type ChaosEnv,
  type ChaosProcess,
  chaosTopics,
  closeChaosEnv,
  expectExactlyOnce,
  expectStateEqualsFold,
  openChaosEnv,
  startProcess,
} from '../chaos/setup';

const BATCHES = 30;
let env: ChaosEnv;

beforeAll(async () => {
  env = await openChaosEnv();
});
afterAll(async () => closeChaosEnv(env));

describe.each(['fork', 'own publishers'] as const)(
  'two instances (%s) alternating on one partition',
  (mode) => {
    it(`run ${BATCHES} batches with zero failed invocations, one re-run per stale hand-over`, async () => {
      const { source, sink } = await chaosTopics(env, { source: 1, sink: 3 });
      const handler = chaosWordCount({ fn: `stale-${mode.length}-${source.slice(-8)}`, source, sink });
      const all = sentences(mode.length * 101, BATCHES * 3, 1);
      const a = startProcess(env, handler);
      const procs: ChaosProcess[] = [a];
      const instances: Harness[] = [a.harness];
      if (mode === 'fork') instances.push(a.harness.fork());
      else {
        const b = startProcess(env, handler);
        procs.push(b);
        instances.push(b.harness);
      }

      // Seeded instance choice, mostly switching: 0, 1, then random with a 70% hand-over chance.
      const next = random(mode.length);
      const schedule = [0, 1];
      while (schedule.length < BATCHES) schedule.push(next() < 0.7 ? 1 - schedule.at(-1)! : schedule.at(-1)!);
      // A hand-over is stale when the receiving instance has a warm copy (it ran a batch before).
      let staleHandOvers = 0;
      const warm = new Set<number>();
      schedule.forEach((instance, i) => {
        if (i > 0 && instance !== schedule[i - 1] && warm.has(instance)) staleHandOvers += 1;
        warm.add(instance);
      });

      const events = Array.from({ length: BATCHES }, (_, i) =>
        a.harness.event(all.slice(i * 3, i * 3 + 3).map((s) => ({ partition: 0, value: s.value }))),
      );
      let failures = 0;
      for (const [i, instance] of schedule.entries()) {
        const harness = instances[instance]!;
        try {
          await harness.invokeEvent(events[i]!);
        } catch {
          failures += 1;
          await harness.retry(); // as Lambda would, so the run goes on; the failure still counts
        }
      }
      const reruns = instances.map((h) => h.reruns);

      const reference = referenceFold(all);
      await expectExactlyOnce(env, sink, reference, `two instances (${mode})`);
      await expectStateEqualsFold(a.harness, reference, 1);
      const stats = procs.map((p) => p.publisher.stats());
      console.log(
        `two instances (${mode}), ${BATCHES} batches: failed invocations ${failures}; stale hand-overs ` +
          `${staleHandOvers}; re-runs ${reruns.join(' + ')}; ${reference.total} outputs exactly once; ` +
          `publishers ${JSON.stringify(stats)}`,
      );
      expect(failures).toBe(0);
      expect(reruns[0]! + reruns[1]!).toBe(staleHandOvers);
      expect(staleHandOvers).toBeGreaterThan(BATCHES / 3);
      for (const stat of stats)
        expect(stat.published + stat.skippedAfterRead + stat.skippedWarm).toBeGreaterThan(0);
      for (const p of procs) await p.abandon();
    });
  },
);
