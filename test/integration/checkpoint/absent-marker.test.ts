/**
 * An absent outbox marker on the real broker (DESIGN section 5): the marker group's offsets
 * deleted (as `offsets.retention.minutes` expires them) or never written, and the clock jumped
 * far past any retention. An outbox still in the checkpoint was never confirmed, so it is
 * published; one the scheduled flush confirmed is not in the checkpoint any more, so nothing
 * is published again. Aws store (DynamoDB Local + moto); outputs read back read_committed by
 * kcat and kafkajs against the reference fold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultPoint } from '../../../lib/core/faults';
import { outboxGroupId } from '../../../lib/core/task';
import { chaosWordCount, referenceFold, type Sentence, sentences } from '../../chaos/word-count';
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

const PARTITIONS = 3;
const DAY_MS = 24 * 60 * 60_000;
/** Far beyond the broker's default offsets.retention.minutes (7 days) and the flush's idle time. */
const CLOCK_JUMP_MS = 30 * DAY_MS;
let env: ChaosEnv;

beforeAll(async () => {
  env = await openChaosEnv();
});
afterAll(async () => closeChaosEnv(env));

const records = (batch: Sentence[]) => batch.map((s) => ({ partition: s.partition, value: s.value }));

/** The marker group's committed offset per source partition (null: none). */
async function markers(fn: string, source: string): Promise<Array<number | null>> {
  const admin = env.kafka.admin();
  try {
    const offsets = await admin.committedOffsets(outboxGroupId('test', fn), source);
    return Array.from({ length: PARTITIONS }, (_, p) => offsets.get(p) ?? null);
  } finally {
    await admin.disconnect();
  }
}

async function deleteMarkers(fn: string, source: string): Promise<void> {
  const admin = env.kafka.admin();
  try {
    await admin.deleteGroups([outboxGroupId('test', fn)]);
  } finally {
    await admin.disconnect();
  }
  expect(await markers(fn, source)).toEqual([null, null, null]);
}

/** Partitions whose committed checkpoint still holds an outbox. */
async function pendingOutboxes(proc: ChaosProcess): Promise<number[]> {
  const pending: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) if ((await proc.harness.checkpoint(p))?.outbox) pending.push(p);
  return pending;
}

const CASES: Array<{ point: FaultPoint; marker: 'deleted' | 'never written'; resolver: 'flush' | 'batch' }> =
  [
    { point: 'after-commit', marker: 'deleted', resolver: 'flush' },
    { point: 'mid-publish', marker: 'deleted', resolver: 'batch' },
    { point: 'after-commit', marker: 'never written', resolver: 'batch' },
    { point: 'mid-publish', marker: 'never written', resolver: 'flush' },
  ];

describe.each(CASES)(
  'an outbox committed, not published (crash at $point), marker $marker',
  ({ point, marker, resolver }) => {
    it(`is published exactly once at a cold start 30 days later, by the ${resolver === 'flush' ? 'scheduled flush' : 'next batch'}`, async () => {
      const { source, sink } = await chaosTopics(env, { source: PARTITIONS, sink: 3 });
      const fn = `absent-${point}-${marker.length}-${source.slice(-8)}`;
      const handler = chaosWordCount({ fn, source, sink });
      const all = sentences(point.length * 13 + marker.length, 45, PARTITIONS);
      const [b1, b2, b3] = [all.slice(0, 15), all.slice(15, 30), all.slice(30)];
      const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
      const now = () => clock.now;

      const first = startProcess(env, handler, undefined, { now });
      // One offset sequence for every process: events are built once, by the first harness.
      const [e1, e2, e3] = [b1, b2, b3].map((batch) => first.harness.event(records(batch)));
      const crashed = marker === 'deleted' ? b2 : b1;
      const touched = [...new Set(crashed.map((s) => s.partition))].sort();
      if (marker === 'deleted') {
        // An earlier batch publishes (writing the marker), and the scheduled flush confirms it, as
        // it does within minutes: the marker can only go missing after that.
        await first.harness.invokeEvent(e1);
        clock.now += 5 * 60_000;
        expect(await first.harness.flush()).toMatchObject({ failures: [] });
      }
      const event = marker === 'deleted' ? e2 : e1;
      first.harness.failAt(point, { times: touched.length }); // every partition of the batch
      await expect(first.harness.invokeEvent(event)).rejects.toThrow(/injected fault/);
      expect(first.harness.faults.fired).toHaveLength(touched.length);
      await first.abandon(); // the process dies; a mid-publish transaction stays open on the broker

      expect(await pendingOutboxes(first)).toEqual(touched);
      if (marker === 'deleted') await deleteMarkers(fn, source);
      else expect(await markers(fn, source)).toEqual([null, null, null]);

      clock.now += CLOCK_JUMP_MS;
      const cold = startProcess(env, handler, undefined, { now });
      if (resolver === 'flush') {
        const report = await cold.harness.flush();
        expect(report).toMatchObject({ confirmed: touched.length, busy: 0, overtaken: 0, failures: [] });
        expect(await pendingOutboxes(cold)).toEqual([]);
      } else {
        await cold.harness.invokeEvent(event); // Lambda's retry: records skipped, outbox published
      }
      const stats = cold.publisher.stats();
      expect(stats.skippedAfterRead).toBe(0); // nothing was taken for published
      for (const next of marker === 'deleted' ? [e3] : [e2, e3]) await cold.harness.invokeEvent(next);
      await cold.harness.invokeEvent(event); // a late redelivery of the crashed batch: all skipped

      const reference = referenceFold(all);
      await expectExactlyOnce(env, sink, reference, `${point}/${marker}/${resolver}`);
      await expectStateEqualsFold(cold.harness, reference, PARTITIONS);
      console.log(
        `absent marker (${point}, ${marker}, ${resolver}): ${reference.total} outputs exactly once; ` +
          `cold publisher ${JSON.stringify(cold.publisher.stats())}`,
      );
      await cold.abandon();
    });
  },
);

it('an outbox confirmed by the scheduled flush is not published again once its marker is gone', async () => {
  const { source, sink } = await chaosTopics(env, { source: PARTITIONS, sink: 3 });
  const fn = `confirmed-${source.slice(-8)}`;
  const handler = chaosWordCount({ fn, source, sink });
  const all = sentences(77, 45, PARTITIONS);
  const [b1, b2, b3] = [all.slice(0, 15), all.slice(15, 30), all.slice(30)];
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const now = () => clock.now;

  const first = startProcess(env, handler, undefined, { now });
  const [event1, event2, event3] = [b1, b2, b3].map((batch) => first.harness.event(records(batch)));
  await first.harness.invokeEvent(event1);
  await first.harness.invokeEvent(event2); // published; its outbox stays in the checkpoints
  const touched = [...new Set(b2.map((s) => s.partition))].sort();
  expect(await pendingOutboxes(first)).toEqual(touched);

  // Idle: the scheduled flush (as EventBridge invokes it) confirms the published outboxes.
  clock.now += 5 * 60_000;
  const report = await first.harness.invokeEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  expect(report).toMatchObject({ confirmed: touched.length, failures: [] });
  expect(await pendingOutboxes(first)).toEqual([]);
  expect(first.publisher.stats().published).toBe(new Set(b1.map((s) => s.partition)).size + touched.length);
  await first.abandon();

  await deleteMarkers(fn, source);
  clock.now += CLOCK_JUMP_MS;
  const cold = startProcess(env, handler, undefined, { now });
  await cold.harness.invokeEvent(event2); // a late redelivery: skipped, nothing to flush
  expect(await cold.harness.flush()).toMatchObject({ confirmed: 0, failures: [] });
  await cold.harness.invokeEvent(event3);
  // Only the new batch's outboxes went out.
  expect(cold.publisher.stats()).toMatchObject({ published: new Set(b3.map((s) => s.partition)).size });

  const reference = referenceFold(all);
  await expectExactlyOnce(env, sink, reference, 'confirmed outbox, marker deleted');
  await expectStateEqualsFold(cold.harness, reference, PARTITIONS);
  console.log(
    `confirmed outbox, marker deleted, cold start 30 days later: ${reference.total} outputs exactly once; ` +
      `cold publisher ${JSON.stringify(cold.publisher.stats())}`,
  );
  await cold.abandon();
});
