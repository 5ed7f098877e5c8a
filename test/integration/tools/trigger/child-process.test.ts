import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../../../lib/core/log';
import { createFileStore } from '../../../../lib/store/file';
import { startEmulatorFromServerless } from '../../../../tools/trigger/from-serverless';
import { uniqueName } from '../../helpers/unique-name';
import { committed, produce, range, testKafka, testTopic } from './helpers';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/sum');

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-trigger-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'serverless.yml'),
    `service: trigger-test
frameworkVersion: '*'
provider:
  name: aws
  runtime: nodejs22.x
  environment:
    SLUICE_STORE: file
    SLUICE_STORE_DIR: \${env:TEST_STORE_DIR}
functions:
  sum:
    handler: ${relative(dir, FIXTURE)}.handler
    environment:
      SUM_TOPIC: \${env:TEST_TOPIC}
      SUM_CRASH_MARKER: \${env:TEST_CRASH_MARKER, ''}
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1
          topic: \${env:TEST_TOPIC}
          batchSize: 10
          maximumBatchingWindow: 0
          consumerGroupId: \${env:TEST_GROUP}
custom:
  sluice:
    functions:
      sum:
        maximumRetryAttempts: 5
`,
  );
  return dir;
}

describe('trigger emulator: the deployable bundle in a child process', () => {
  it('runs serverless.yml functions from their esbuild bundle, exactly once across a sandbox crash', async () => {
    const kafka = await testKafka();
    const topic = await testTopic(kafka, 2);
    const dir = await project();
    const storeDir = join(dir, 'checkpoints');
    const marker = join(dir, 'crashed');
    const lines: string[] = [];
    const numbers = range(1, 30);
    await produce(
      kafka,
      topic,
      numbers.map((n) => ({ partition: n % 2, value: String(n) })),
    );

    const emulator = await startEmulatorFromServerless({
      cwd: dir,
      keepDeploymentEnvironment: true, // the fixture's serverless.yml names the store
      env: {
        ...process.env,
        TEST_TOPIC: topic,
        TEST_STORE_DIR: storeDir,
        TEST_GROUP: uniqueName('group'),
        TEST_CRASH_MARKER: marker,
      },
      kafka,
      log: silentLogger,
      retryBackoff: { initialMs: 20, maxMs: 200 },
      statsIntervalMs: 200,
      onOutput: (_fn, line) => lines.push(line),
    });
    onTestFinished(() => emulator.stop());
    expect(emulator.config.functions.map((f) => f.name)).toEqual(['sum']);
    await committed(emulator, [15, 15], 0, 60_000);
    const stats = emulator.stats();
    await emulator.stop();

    expect(existsSync(join(dir, '.sluice/bundles/sum.cjs'))).toBe(true);
    expect(existsSync(marker)).toBe(true);
    // The crash fails the invocation that hit 13, and the other partition's if it was in flight
    // in the same child: each is retried in a new sandbox.
    const { errors, retries, discarded } = stats.triggers[0]!;
    expect(errors).toBeGreaterThanOrEqual(1);
    expect(errors).toBeLessThanOrEqual(2);
    expect({ retries, discarded }).toEqual({ retries: errors, discarded: 0 });
    expect(stats.functionMemory.sum?.rss).toBeGreaterThan(0);

    const store = createFileStore(storeDir);
    for (const partition of [0, 1]) {
      const expected = numbers.filter((n) => n % 2 === partition).reduce((a, b) => a + b, 0);
      const loaded = await store.load({ fn: 'sum', topic, partition });
      expect(loaded?.checkpoint.next).toBe(15);
      expect(Object.fromEntries(loaded!.state)).toEqual({ sum: expected });
      const totals = lines
        .map((line) => JSON.parse(line) as { message: string; partition?: number })
        .filter((entry) => entry.partition === partition && entry.message.startsWith('total='));
      expect(totals.at(-1)?.message).toBe(`total=${expected}`);
    }
    await store.close();
  });
});
