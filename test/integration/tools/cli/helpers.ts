import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { silentLogger } from '../../../../lib/core/log';
import { createKafka, type KafkaClient } from '../../../../lib/kafka/client';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';

export const REPO = resolve(import.meta.dirname, '../../../..');
export const BIN = join(REPO, 'bin', 'sluice.mjs');

export async function testKafka(): Promise<KafkaClient> {
  const kafka = await createKafka(
    {
      brokers: injectedStack().SLUICE_KAFKA_BROKERS.split(','),
      logLevel: 'nothing',
      clientId: 'sluice-cli-test',
    },
    { logger: silentLogger },
  );
  onTestFinished(() => kafka.close());
  return kafka;
}

/** A unique topic name, deleted when the test ends (whoever created it). */
export function testTopicName(kafka: KafkaClient, prefix = 'cli'): string {
  const topic = uniqueName(prefix);
  onTestFinished(() =>
    kafka
      .admin()
      .deleteTopics([topic])
      .catch(() => {}),
  );
  return topic;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-it-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A project in a temp dir: `upper.ts` (state: a counter; output: each value upper-cased on
 * `out`) and a serverless.yml whose msk event feeds it from `source`.
 */
export function upperProject(options: { fn: string; source: string; out: string; group: string }): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'upper.ts'),
    `import { defineFunction, kafkaSink, serde, state } from ${JSON.stringify(join(REPO, 'lib', 'index.ts'))};
export const handler = defineFunction({
  name: ${JSON.stringify(options.fn)},
  source: { topic: ${JSON.stringify(options.source)}, value: serde.string() },
  state: { seen: state.value(0) },
  sinks: { out: kafkaSink({ topic: ${JSON.stringify(options.out)}, value: serde.string() }) },
  process(batch, { state, emit }) {
    for (const record of batch.records) {
      state.seen.set((state.seen.get() ?? 0) + 1);
      emit.out({ key: record.key, value: record.value.toUpperCase() });
    }
  },
});
`,
  );
  writeFileSync(
    join(dir, 'serverless.yml'),
    `service: cli-test
provider:
  name: aws
  runtime: nodejs22.x
  environment:
    SLUICE_STORE: aws
    SLUICE_KAFKA_SASL_MECHANISM: aws-iam
functions:
  upper:
    handler: upper.handler
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/local/00000000-0000-0000-0000-000000000000-1
          topic: ${options.source}
          consumerGroupId: ${options.group}
          startingPosition: TRIM_HORIZON
          batchSize: 10
`,
  );
  return dir;
}

/** Runs `node bin/sluice.mjs <args>` as a child process. */
export function sluice(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; onStdout?: (text: string) => void } = {},
): {
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { done, kill: (signal) => child.kill(signal) };
}
