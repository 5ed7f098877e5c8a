/**
 * `sluice transactions` on a stuck task, against the real broker: a process died inside its
 * publish transaction (left open), the command shows the outbox pending, `--abort` releases
 * read_committed readers, `--clear-outbox --yes` marks it published without sending.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureKcat } from '../../../infra/local/kcat';
import { configFromEnv } from '../../../lib/core/config';
import { createKafka, type KafkaClient } from '../../../lib/kafka/client';
import { kafkaConfigOf } from '../../../lib/kafka/config';
import type { KafkaHandler } from '../../../lib/lambda/handler';
import { createKafkaPublisher } from '../../../lib/sink/kafka-publisher';
import type { TaskTransactionState } from '../../../lib/sink/task-transactions';
import { createFileStore } from '../../../lib/store/file';
import { createHarness } from '../../../lib/testing/harness';
import { registerTransactionsCommand } from '../../../tools/cli/commands/transactions';
import { takeExitCode } from '../../../tools/cli/context';
import type { CliIO } from '../../../tools/cli/io';
import { createProgram, formatError, runCli } from '../../../tools/cli/main';
import { longOptionNames, normalizeArgs } from '../../../tools/cli/parameters';
import { readWithKcat } from '../../chaos/readers';
import { injectedStack } from '../helpers/stack';
import { uniqueName } from '../helpers/unique-name';

const LIB = fileURLToPath(new URL('../../../lib/index.ts', import.meta.url));
let kafka: KafkaClient;
let brokers: string;
let dir: string;
const topics: string[] = [];

beforeAll(async () => {
  brokers = injectedStack().SLUICE_KAFKA_BROKERS;
  ensureKcat();
  kafka = await createKafka({
    ...kafkaConfigOf(configFromEnv({ SLUICE_KAFKA_BROKERS: brokers })),
    clientId: 'txn-cli-test',
  });
  dir = mkdtempSync(join(tmpdir(), 'sluice-txn-cli-'));
});
afterAll(async () => {
  if (topics.length > 0) await kafka.admin().deleteTopics(topics);
  await kafka.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `sluice <args>` in-process, in the harness's namespace (`test`) with the transactions command registered; returns exit code and output. */
async function sluice(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: {
      write: (text) => {
        stdout += text;
      },
      isTTY: false,
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
      isTTY: false,
    },
    stdin: new PassThrough(),
    env: {
      ...process.env,
      SLUICE_KAFKA_BROKERS: brokers,
      SLUICE_STORE: 'file',
      SLUICE_STORE_DIR: join(dir, 'store'),
    },
    cwd: dir,
    interrupted: () => new Promise(() => {}),
  };
  const ctx = { io };
  const program = createProgram(ctx);
  let code: number;
  if (program.commands.some((c) => c.name() === 'transactions')) {
    code = await runCli([...args, '--namespace', 'test'], ctx);
  } else {
    // Until tools/cli/main.ts registers the command, run it the way runCli does.
    registerTransactionsCommand(program, ctx);
    const command = program.commands.find((c) => c.name() === 'transactions')!;
    command.exitOverride().configureOutput({ writeOut: io.stdout.write, writeErr: io.stderr.write });
    try {
      await program.parseAsync(normalizeArgs([...args, '--namespace', 'test'], longOptionNames(program)), {
        from: 'user',
      });
      code = takeExitCode(io) ?? 0;
    } catch (error) {
      if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
      else {
        io.stderr.write(`${formatError(error, false)}\n`);
        code = 1;
      }
    }
  }
  return { code, stdout, stderr };
}

it('shows a stuck outbox, aborts the open transaction, and clears the outbox on --yes', async () => {
  const source = uniqueName('txn-src');
  const sink = uniqueName('txn-out');
  const admin = kafka.admin();
  await admin.createTopic(source, { partitions: 2 });
  await admin.createTopic(sink, { partitions: 1 });
  await admin.disconnect();
  topics.push(source, sink);
  const fn = `txn-${source.slice(-8)}`;
  const module = join(dir, 'fn.ts');
  writeFileSync(
    module,
    `import { defineFunction, kafkaSink, serde } from ${JSON.stringify(LIB)};
export const handler = defineFunction({
  name: ${JSON.stringify(fn)},
  source: { topic: ${JSON.stringify(source)}, value: serde.string() },
  sinks: { out: kafkaSink({ topic: ${JSON.stringify(sink)}, value: serde.string() }) },
  process(batch, { emit }) {
    for (const r of batch.records) emit.out({ key: r.value, value: \`\${batch.partition}:\${r.value}\` });
  },
});
`,
  );
  const { handler } = (await import(module)) as { handler: KafkaHandler };
  const store = () => createFileStore(join(dir, 'store'));
  const first = createHarness(handler, {
    store: store(),
    publishers: { kafka: createKafkaPublisher({ kafka }) },
  });
  await first.invoke([
    { partition: 0, value: 'a' },
    { partition: 1, value: 'b' },
  ]);
  // Partition 0 dies inside its publish transaction: outputs sent, not committed, left open.
  first.failAt('mid-publish', { partition: 0 });
  const stuck = first.event([
    { partition: 0, value: 'c' },
    { partition: 1, value: 'd' },
  ]);
  await expect(first.invokeEvent(stuck)).rejects.toThrow(/injected fault/);

  const shown = await sluice(['transactions', 'fn.ts', '--json']);
  expect(shown.stderr).toBe('');
  const tasks = JSON.parse(shown.stdout).tasks as TaskTransactionState[];
  expect(tasks.map((t) => [t.partition, t.version, t.next, t.status, t.marker])).toEqual([
    [0, 2, 2, 'pending', 1],
    [1, 2, 2, 'published', 2],
  ]);
  expect(tasks[0]!.transactionalId).toBe(`sluice.test.${fn}.${source}.0`);

  // The open transaction holds read_committed readers back; --abort releases them.
  const aborted = await sluice(['transactions', 'fn.ts', '--partition', '0', '--abort']);
  expect(aborted.code).toBe(0);
  expect(aborted.stderr).toContain(`fenced sluice.test.${fn}.${source}.0`);
  expect((await readWithKcat(brokers, sink)).map((r) => r.value).sort()).toEqual(['0:a', '1:b', '1:d']);

  const refused = await sluice(['transactions', 'fn.ts', '--clear-outbox']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/add --yes/);

  const cleared = await sluice(['transactions', 'fn.ts', '--clear-outbox', '--yes']);
  expect(cleared.code).toBe(0);
  expect(cleared.stderr).toMatch(
    /partition 0: outbox of source offsets 1-1 marked published without sending \(1 outputs dropped\)/,
  );
  expect(cleared.stderr).toMatch(
    /partition 1: outbox of source offsets 1-1 was published: taken out of the checkpoint/,
  );
  expect(cleared.stdout).not.toMatch(/pending/);
  // The checkpoint no longer holds it: no invocation will try to publish it.
  expect((await store().peek({ fn, topic: source, partition: 0 }))?.outbox).toBeNull();

  // Lambda's retry in a new process: the cleared outbox is not published (lost, as documented).
  const retry = createHarness(handler, {
    store: store(),
    publishers: { kafka: createKafkaPublisher({ kafka }) },
  });
  await retry.invokeEvent(stuck);
  await retry.invoke([{ partition: 0, offset: 2, value: 'e' }]); // a new harness numbers from 0
  expect((await readWithKcat(brokers, sink)).map((r) => r.value).sort()).toEqual([
    '0:a',
    '0:e',
    '1:b',
    '1:d',
  ]);
  await first.close();
  await retry.close();
});
