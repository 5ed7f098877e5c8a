/**
 * Two deployments of one function (stages `dev` and `prod`) on one cluster, each with its own
 * store (file stores), reading the same source topic and writing the same sink topic. Their
 * transactional ids and outbox marker groups differ by namespace, so neither skips the other's
 * outputs as "already published" and neither fences the other's producers. Read back
 * read_committed (kcat and kafkajs), split by deployment, against the reference fold.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFunction, kafkaSink, serde, state } from '../../../lib';
import { outboxGroupId } from '../../../lib/core/task';
import type { KafkaHandler } from '../../../lib/lambda/handler';
import { createFileStore } from '../../../lib/store/file';
import { readCommitted, readWithKcat } from '../../chaos/readers';
import { checkOutputs, outputsOk, type SeenRecord } from '../../chaos/verify';
import { type ChaosOutput, referenceFold, type Sentence, sentences } from '../../chaos/word-count';
import {
  type ChaosEnv,
  type ChaosProcess,
  chaosTopics,
  closeChaosEnv,
  expectStateEqualsFold,
  openChaosEnv,
  startProcess,
} from '../chaos/setup';

const PARTITIONS = 3;
const DEPLOYMENTS = ['dev', 'prod'] as const;
type Deployment = (typeof DEPLOYMENTS)[number];
let env: ChaosEnv;
let dir: string;

beforeAll(async () => {
  env = await openChaosEnv();
  dir = await mkdtemp(join(tmpdir(), 'sluice-namespaces-'));
});
afterAll(async () => {
  await closeChaosEnv(env);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The chaos word count (outputs n = 1..N per source partition and word), deployed as stage `d`:
 * the same function name, topics and Kafka identities but the namespace; each output names its
 * deployment so the two streams can be told apart on the shared sink.
 */
function wordCount(d: Deployment, names: { fn: string; source: string; sink: string }): KafkaHandler {
  return defineFunction({
    name: names.fn,
    source: { topic: names.source, value: serde.string() },
    state: { counts: state.map<number>() },
    sinks: { counts: kafkaSink({ topic: names.sink, value: serde.json<ChaosOutput & { d: Deployment }>() }) },
    process(batch, { state, emit }) {
      for (const record of batch.records) {
        for (const w of record.value.split(' ').filter(Boolean)) {
          const n = (state.counts.get(w) ?? 0) + 1;
          state.counts.set(w, n);
          emit.counts({ key: w, value: { p: batch.partition, w, n, d } });
        }
      }
    },
  });
}

const records = (batch: Sentence[]) => batch.map((s) => ({ partition: s.partition, value: s.value }));

it('two namespaces on one source and one sink each publish all their outputs, unfenced', async () => {
  const { source, sink } = await chaosTopics(env, { source: PARTITIONS, sink: 3 });
  const fn = `ns-${source.slice(-8)}`;
  const all = sentences(2026, 80, PARTITIONS);
  const batches = [0, 1, 2, 3].map((i) => all.slice(i * 20, (i + 1) * 20));
  const failures = { dev: 0, prod: 0 };

  const procs = {} as Record<Deployment, ChaosProcess>;
  for (const d of DEPLOYMENTS) {
    const store = createFileStore(join(dir, d));
    procs[d] = startProcess(env, wordCount(d, { fn, source, sink }), undefined, { namespace: d, store });
  }
  // Both deployments read the same records (the same offsets of the one source topic).
  const events = batches.map((b) => procs.dev.harness.event(records(b)));
  const deliver = async (d: Deployment, batch: number) => {
    try {
      await procs[d].harness.invokeEvent(events[batch]!);
    } catch {
      failures[d] += 1;
      await procs[d].harness.retry(); // as Lambda would; the failure is counted all the same
    }
  };

  // dev runs ahead: its marker is past batch 1 before prod first reads its own marker (a shared
  // marker group would make prod skip its batch-1 outputs as published). Then they interleave,
  // both producers of each task alive at once (a shared transactional id would fence one).
  await deliver('dev', 0);
  await deliver('dev', 1);
  await deliver('prod', 0);
  await deliver('dev', 2);
  await deliver('prod', 1);
  await deliver('prod', 2);
  await deliver('dev', 3);
  await deliver('prod', 3);
  // A cold start of prod: its outboxes are found published by its own marker, none republished.
  await procs.prod.abandon();
  procs.prod = startProcess(env, wordCount('prod', { fn, source, sink }), undefined, {
    namespace: 'prod',
    store: createFileStore(join(dir, 'prod')),
  });
  await procs.prod.harness.invokeEvent(events[3]!);

  const reference = referenceFold(all);
  const viaKcat = await readWithKcat(env.brokers, sink);
  const viaKafkajs = await readCommitted(env.kafka, sink, { expected: 2 * reference.total });
  const byDeployment = (seen: SeenRecord[], d: Deployment) =>
    seen.filter((r) => (JSON.parse(r.value) as { d: string }).d === d);
  for (const d of DEPLOYMENTS) {
    for (const [reader, seen] of [
      ['kcat', viaKcat],
      ['kafkajs', viaKafkajs],
    ] as const) {
      const check = checkOutputs(reference, byDeployment(seen, d));
      expect(check, `${d} via ${reader}: ${JSON.stringify(check)}`).toSatisfy(outputsOk);
    }
    await expectStateEqualsFold(procs[d].harness, reference, PARTITIONS);
  }
  expect(viaKcat).toHaveLength(2 * reference.total);

  // Each deployment's marker is its own, at the end of the last batch.
  const admin = env.kafka.admin();
  const ends = new Map<number, number>();
  for (let p = 0; p < PARTITIONS; p++) ends.set(p, (await procs.dev.harness.checkpoint(p))?.next ?? 0);
  for (const d of DEPLOYMENTS) {
    const markers = await admin.committedOffsets(outboxGroupId(d, fn), source);
    for (const [p, end] of ends) expect(markers.get(p), `${d} marker of partition ${p}`).toBe(end);
  }
  await admin.disconnect();

  const stats = { dev: procs.dev.publisher.stats(), prod: procs.prod.publisher.stats() };
  const fenced = stats.dev.retriedAttempts + stats.prod.retriedAttempts;
  console.log(
    `two namespaces: ${reference.total} outputs each, exactly once; failed invocations ${JSON.stringify(failures)}; ` +
      `fenced/retried publish attempts ${fenced}; dev publisher ${JSON.stringify(stats.dev)}; ` +
      `prod publisher (after its cold start) ${JSON.stringify(stats.prod)}`,
  );
  expect(failures).toEqual({ dev: 0, prod: 0 });
  expect(fenced).toBe(0);
  expect(stats.dev.inits).toBe(PARTITIONS); // one producer init per task: never fenced and re-initialised
  expect(stats.prod).toMatchObject({ published: 0, skippedAfterRead: PARTITIONS, inits: PARTITIONS });
  await procs.dev.abandon();
  await procs.prod.abandon();
});
