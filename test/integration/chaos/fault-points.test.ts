/**
 * A crash at every point of the exactly-once protocol (FAULT_POINTS, including `mid-publish`:
 * inside the Kafka transaction, outputs sent but not committed), then a retry — in the same warm
 * process, or in a new process (cold: new store object, new producers; the crashed one's open
 * transaction is still on the broker). Real broker, aws store. Verified with read_committed
 * readers (kafkajs and kcat): every output exactly once, per-key order kept, state = the fold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_POINTS } from '../../../lib/core/faults';
import { chaosWordCount, referenceFold, type Sentence, sentences } from '../../chaos/word-count';
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

describe.each(FAULT_POINTS)('a crash at %s', (point) => {
  it.each(['warm', 'cold'] as const)(
    'then a %s retry: every output exactly once, state = fold',
    async (mode) => {
      const { source, sink } = await chaosTopics(env, { source: PARTITIONS, sink: 3 });
      const handler = chaosWordCount({ fn: `chaos-${point}-${mode}-${source.slice(-8)}`, source, sink });
      const all = sentences(point.length * 31 + (mode === 'cold' ? 7 : 0), 60, PARTITIONS);
      const [b1, b2, b3] = [all.slice(0, 20), all.slice(20, 40), all.slice(40)];
      const records = (batch: Sentence[]) => batch.map((s) => ({ partition: s.partition, value: s.value }));

      const first = startProcess(env, handler);
      let current = first;
      await first.harness.invoke(records(b1));

      const event = first.harness.event(records(b2));
      first.harness.failAt(point);
      await expect(first.harness.invokeEvent(event)).rejects.toThrow(/injected fault/);
      expect(first.harness.faults.fired.map((f) => f.point)).toEqual([point]);

      if (mode === 'cold') {
        await first.abandon();
        current = startProcess(env, handler);
      }
      await current.harness.invokeEvent(event); // Lambda's retry of the failed event
      await current.harness.invokeEvent(event); // and a redundant redelivery: all skipped
      await current.harness.invokeEvent(first.harness.event(records(b3)));

      const reference = referenceFold(all);
      await expectExactlyOnce(env, sink, reference, `${point}/${mode}`);
      await expectStateEqualsFold(current.harness, reference, PARTITIONS);
      if (mode === 'cold') {
        // The new process read each marker once per producer (its cold path), never more.
        const stats = current.publisher.stats();
        expect(stats.inits).toBeLessThanOrEqual(PARTITIONS);
      }
      await current.abandon();
      if (mode === 'warm') await first.abandon();
    },
  );
});
