/**
 * Several warm instances per function, as Lambda runs them: each invocation goes to any free
 * instance (seeded choice), with no partition affinity, so an instance's warm checkpoint of a
 * partition is often stale. Exactly-once must hold anyway: the state is the fold of every record
 * applied once, and every output is published once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defineFunction, kafkaSink, serde, state } from '../../../../lib';
import { silentLogger } from '../../../../lib/core/log';
import { createFileStore } from '../../../../lib/store/file';
import { bundleChildRunner, bundleFunction } from '../../../../tools/trigger/bundle';
import { createChildProcessInvoker } from '../../../../tools/trigger/child-invoker';
import { startEmulatorFromServerless } from '../../../../tools/trigger/from-serverless';
import { createInstancePool } from '../../../../tools/trigger/instance-pool';
import { createInProcessInvoker } from '../../../../tools/trigger/invoker';
import type { EmulatorStats } from '../../../../tools/trigger/stats';
import { uniqueName } from '../../helpers/unique-name';
import { committed, emulate, produce, range, readTopic, testKafka, testTopic, trigger } from './helpers';

/** More partitions than instances: a freed instance is not always the partition's last one. */
const PARTITIONS = 4;
const PER_PARTITION = 40;

/** Numbers 1..160, spread round-robin over the partitions. */
const numbers = range(1, PARTITIONS * PER_PARTITION);
const partitionOf = (n: number) => n % PARTITIONS;
const expectedSum = (partition: number) =>
  numbers.filter((n) => partitionOf(n) === partition).reduce((a, b) => a + b, 0);

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-instances-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Prints the spread and asserts no invocation failed: a stale warm instance re-runs its batch on
 * the current checkpoint (the commit's conflict tells it) instead of failing the invocation.
 */
function report(label: string, stats: EmulatorStats, fn: string) {
  const instances = stats.instances[fn] ?? [];
  const t = stats.triggers[0]!;
  console.log(
    `${label}: ${t.invocations} invocations, ${t.errors} failed (retried: ${t.retries}); per instance ` +
      instances.map((s, i) => `#${i} ${s.invocations} (${s.errors} failed)`).join(', '),
  );
  expect(t.errors, `${label}: failed invocations`).toBe(0);
}

describe('trigger emulator: several warm instances per function', () => {
  it('in process: 3 instances with their own runtimes, no affinity, state and outputs exactly once', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, PARTITIONS, 'instances');
    const out = await testTopic(kafka, 1, 'instances-out');
    const storeDir = await tempDir();
    const name = uniqueName('sum');
    const sum = defineFunction({
      name,
      source: { topic, value: serde.json<number>() },
      state: { sum: state.value(0) },
      sinks: { seen: kafkaSink({ topic: out, key: serde.string(), value: serde.json<number>() }) },
      process(batch, { state, emit }) {
        for (const record of batch.records) {
          state.sum.set((state.sum.get() ?? 0) + record.value);
          emit.seen({ key: String(record.value), value: record.value });
        }
      },
    });
    const runtimes: string[] = [];
    /** Per partition, the instance of each invocation, in order. */
    const placements = new Map<number, number[]>();
    const emulator = await emulate(kafka, [
      {
        name,
        triggers: [trigger({ topic, batchSize: 5 })],
        instances: 3,
        invoker: (instance) => {
          runtimes.push(JSON.stringify(instance));
          const invoker = createInProcessInvoker(sum, {
            env: { ...process.env, SLUICE_STORE: 'file', SLUICE_STORE_DIR: storeDir, ...instance.env },
          });
          return {
            ...invoker,
            invoke(request) {
              const event = JSON.parse(request.eventJson) as {
                records: Record<string, Array<{ partition: number }>>;
              };
              const partition = Object.values(event.records)[0]![0]!.partition;
              placements.set(partition, [...(placements.get(partition) ?? []), instance.index]);
              return invoker.invoke(request);
            },
          };
        },
      },
    ]);
    expect(runtimes).toEqual([0, 1, 2].map((index) => JSON.stringify({ index, env: {} })));
    await produce(
      kafka,
      topic,
      numbers.map((n) => ({ partition: partitionOf(n), value: String(n) })),
    );
    await committed(emulator, Array(PARTITIONS).fill(PER_PARTITION), 0, 60_000);
    const stats = emulator.stats();
    report('in process', stats, name);
    await emulator.stop();

    const instances = stats.instances[name]!;
    expect(instances).toHaveLength(3);
    for (const instance of instances) expect(instance.invocations).toBeGreaterThan(0);
    expect(instances.reduce((n, s) => n + s.invocations, 0)).toBe(stats.triggers[0]!.invocations);
    expect(stats.triggers[0]!.delivered).toBe(numbers.length);
    expect(stats.triggers[0]!.discarded).toBe(0);
    // No affinity: some partition's consecutive invocations ran on different instances (so an
    // instance's warm checkpoint was stale when the partition came back to it).
    const moves = [...placements.values()].map(
      (seq) => seq.filter((x, i) => i > 0 && x !== seq[i - 1]).length,
    );
    console.log(
      `in process: instance sequence per partition ${JSON.stringify(Object.fromEntries(placements))}`,
    );
    expect(moves.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const store = createFileStore(storeDir);
    onTestFinished(() => store.close());
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const loaded = await store.load({ fn: name, topic, partition });
      expect(loaded?.checkpoint.next).toBe(PER_PARTITION);
      expect(Object.fromEntries(loaded!.state)).toEqual({ sum: expectedSum(partition) });
    }
    // Every record's output once (read_committed): none lost, none doubled.
    const published = await readTopic(kafka, out, numbers.length);
    expect(published.map((m) => Number(m.value)).sort((a, b) => a - b)).toEqual(numbers);
  });

  it('bundle: each instance is its own child process, with AWS_LAMBDA_MAX_CONCURRENCY set', async () => {
    const dir = await tempDir();
    const bundle = await bundleFunction({
      entry: resolve(import.meta.dirname, 'fixtures/echo.ts'),
      outFile: join(dir, 'echo.cjs'),
    });
    const runner = await bundleChildRunner(dir);
    const pool = createInstancePool(
      (instance) =>
        createChildProcessInvoker({
          functionName: 'echo',
          bundle,
          runner,
          env: { PATH: process.env.PATH, ...instance.env },
          onOutput: () => {},
        }),
      { instances: 3, concurrency: 2, seed: 5 },
    );
    onTestFinished(() => pool.close());
    // 12 at once: every slot (3 × 2) busy, the other 6 wait for one.
    const outcomes = await Promise.all(
      range(1, 12).map((i) =>
        pool.invoke({ eventJson: JSON.stringify({ sleep: 200, i }), requestId: `r${i}`, timeoutMs: 30_000 }),
      ),
    );
    const responses = outcomes.map(
      (o) => (o as { ok: true; response: { pid: number; maxConcurrency: string } }).response,
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(new Set(responses.map((r) => r.pid)).size).toBe(3);
    expect(responses.every((r) => r.pid !== process.pid && r.maxConcurrency === '2')).toBe(true);
    // Per-instance counts in stats match what each process answered.
    const perPid = new Map<number, number>();
    for (const r of responses) perPid.set(r.pid, (perPid.get(r.pid) ?? 0) + 1);
    const counts = pool.instances().map((s) => s.invocations);
    expect([...perPid.values()].sort()).toEqual([...counts].sort());
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it('bundle: 3 child processes, 2 invocations at once in each, the sum of every record once', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, PARTITIONS, 'instances');
    const dir = await tempDir();
    const fixture = resolve(import.meta.dirname, 'fixtures/sum');
    await writeFile(
      join(dir, 'serverless.yml'),
      `service: instances-test
frameworkVersion: '*'
provider:
  name: aws
  runtime: nodejs22.x
  environment:
    SLUICE_STORE: file
    SLUICE_STORE_DIR: \${env:TEST_STORE_DIR}
functions:
  sum:
    handler: ${relative(dir, fixture)}.handler
    environment:
      SUM_TOPIC: \${env:TEST_TOPIC}
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1
          topic: \${env:TEST_TOPIC}
          batchSize: 5
          maximumBatchingWindow: 0
          consumerGroupId: \${env:TEST_GROUP}
`,
    );
    const storeDir = join(dir, 'checkpoints');
    const lines: string[] = [];
    const emulator = await startEmulatorFromServerless({
      cwd: dir,
      keepDeploymentEnvironment: true, // the serverless.yml above names the store
      env: { ...process.env, TEST_TOPIC: topic, TEST_STORE_DIR: storeDir, TEST_GROUP: uniqueName('group') },
      kafka,
      log: silentLogger,
      retryBackoff: { initialMs: 20, maxMs: 200 },
      statsIntervalMs: 200,
      instances: 3,
      concurrency: 2,
      seed: 11,
      onOutput: (_fn, line) => lines.push(line),
    });
    onTestFinished(() => emulator.stop());
    await produce(
      kafka,
      topic,
      numbers.map((n) => ({ partition: partitionOf(n), value: String(n) })),
    );
    await committed(emulator, Array(PARTITIONS).fill(PER_PARTITION), 0, 90_000);
    const stats = emulator.stats();
    report('bundle', stats, 'sum');
    await emulator.stop();

    const instances = stats.instances.sum!;
    expect(instances).toHaveLength(3);
    for (const instance of instances) expect(instance.invocations).toBeGreaterThan(0);
    expect(stats.triggers[0]!.delivered).toBe(numbers.length);
    expect(stats.triggers[0]!.discarded).toBe(0);

    const store = createFileStore(storeDir);
    onTestFinished(() => store.close());
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const loaded = await store.load({ fn: 'sum', topic, partition });
      expect(loaded?.checkpoint.next).toBe(PER_PARTITION);
      expect(Object.fromEntries(loaded!.state)).toEqual({ sum: expectedSum(partition) });
    }
  });
});
