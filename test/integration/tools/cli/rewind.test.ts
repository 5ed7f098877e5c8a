/**
 * Savepoint, rewind and reset as an operator runs them, on the real broker: `sluice dev` runs the
 * function until stopped, `sluice savepoint`, more records, `sluice rewind` (refused while the
 * trigger runs), `sluice dev` again, `sluice reset`. Output is read back read_committed (kcat and
 * kafkajs): each history's outputs exactly once, the replayed range once more after each rewind;
 * state equals the reference fold.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createFileStore } from '../../../../lib/store/file';
import { readCommitted, readWithKcat } from '../../../chaos/readers';
import { run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { sluice, tempDir, testKafka, testTopicName, upperProject } from './helpers';

const PARTITIONS = 2;

it('rewinds to a savepoint and resets: the replayed ranges are published again, once each; state is the fold', async () => {
  const env = { SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS };
  const kafka = await testKafka();
  const source = testTopicName(kafka, 'rw-src');
  const out = testTopicName(kafka, 'rw-out');
  await kafka.admin().createTopic(source, { partitions: PARTITIONS });
  await kafka.admin().createTopic(out, { partitions: 1 });
  const fn = uniqueName('upper');
  const dir = upperProject({ fn, source, out, group: uniqueName('rw-trigger') });
  const storeDir = tempDir();
  const cli = ['--config', join(dir, 'serverless.yml'), '--store', 'file', '--store-dir', storeDir];
  const store = createFileStore(storeDir);
  const applied = async () => {
    let total = 0;
    for (let p = 0; p < PARTITIONS; p++)
      total += (await store.load({ fn, topic: source, partition: p }))?.checkpoint.next ?? 0;
    return total;
  };
  const seen = async () => {
    const state: number[] = [];
    for (let p = 0; p < PARTITIONS; p++)
      state.push(((await store.load({ fn, topic: source, partition: p }))?.state.get('seen') as number) ?? 0);
    return state.reduce((a, b) => a + b, 0);
  };
  /** `sluice dev` until the tasks' next offsets add up to `total` (and their outboxes went out). */
  const devUntil = async (total: number) => {
    const dev = sluice(['dev', '--bundle', ...cli], { env, cwd: dir });
    try {
      await waitFor(async () => (await applied()) === total, {
        message: `sluice dev never reached ${total} applied records`,
        timeoutMs: 90_000,
        intervalMs: 250,
      });
    } catch (error) {
      dev.kill('SIGINT');
      const { stdout, stderr } = await dev.done;
      throw new Error(`${(error as Error).message} (applied ${await applied()})\n${stdout}\n${stderr}`);
    }
    return dev;
  };
  const stop = async (dev: ReturnType<typeof sluice>) => {
    dev.kill('SIGINT');
    const { code, stdout, stderr } = await dev.done;
    expect(code, `${stdout}\n${stderr}`).toBe(0);
  };
  const produce = (words: string[]) =>
    run(['produce', source], { env, stdin: `${words.join('\n')}\n` }).then((r) => {
      expect(r.code, r.stderr).toBe(0);
    });

  const first = Array.from({ length: 10 }, (_, i) => `a${i}`);
  const second = Array.from({ length: 10 }, (_, i) => `b${i}`);
  await produce(first);
  let dev = await devUntil(10);
  await stop(dev);

  const savepoint = await run(['savepoint', 'upper', ...cli, '--name', 'before-b'], { env, cwd: dir });
  expect(savepoint.code, savepoint.stderr).toBe(0);
  expect(savepoint.stderr).toContain(`savepoint "before-b" of ${fn}`);
  expect(savepoint.stdout).toMatch(/^PARTITION +NEXT +STATE KEYS +VERSION +TRIGGER OFFSET$/m);
  const listed = await run(['savepoint', 'upper', ...cli, '--list'], { env, cwd: dir });
  expect(listed.stdout).toMatch(/^before-b +\S+ +2 +\d+$/m);

  await produce(second);
  dev = await devUntil(20);
  // While the trigger runs, a rewind is refused with what to run.
  const refused = await run(['rewind', 'upper', ...cli, '--to', 'before-b', '--execute'], { env, cwd: dir });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('is running');
  expect(refused.stderr).toContain('update-event-source-mapping');
  await stop(dev);

  const unknown = await run(['rewind', 'upper', ...cli, '--to', 'nosuch'], { env, cwd: dir });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no savepoint "nosuch"');
  expect(unknown.stderr).toContain('choose one of before-b');
  const partial = await run(['rewind', 'upper', ...cli, '--to', 'before-b', '--partition', '0'], {
    env,
    cwd: dir,
  });
  expect(partial.stderr).toContain('a savepoint is rewound whole');
  const byTime = await run(['rewind', 'upper', ...cli, '--to', '2000-01-01T00:00:00Z'], { env, cwd: dir });
  expect(byTime.code, byTime.stderr).toBe(0);
  expect(byTime.stderr).toContain('EMPTY state from the first record at or after 2000-01-01T00:00:00.000Z');
  expect(byTime.stdout).toMatch(/^ +0 +10 +0$/m);
  const plan = await run(['rewind', 'upper', ...cli, '--to', 'before-b'], { env, cwd: dir });
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stderr).toContain('nothing changed: add --execute');
  expect(await applied()).toBe(20);
  const rewound = await run(['rewind', 'upper', ...cli, '--to', 'before-b', '--execute'], { env, cwd: dir });
  expect(rewound.code, rewound.stderr).toBe(0);
  expect(await applied()).toBe(10);
  expect(await seen()).toBe(10);

  // The trigger delivers the second range again: applied and published once more.
  dev = await devUntil(20);
  await stop(dev);
  expect(await seen()).toBe(20);

  const reset = await run(['reset', 'upper', ...cli, '--execute'], { env, cwd: dir });
  expect(reset.code, reset.stderr).toBe(0);
  expect(await seen()).toBe(0);
  dev = await devUntil(20);
  await stop(dev);
  expect(await seen()).toBe(20);
  await store.close();

  // Histories: a0..a9 b0..b9 (first run), b0..b9 (after the rewind), a0..b9 (after the reset).
  const expected = [...first, ...second, ...second, ...first, ...second].map((w) => w.toUpperCase());
  const count = (values: string[]) => {
    const counts: Record<string, number> = {};
    for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
    return counts;
  };
  const viaKcat = (await readWithKcat(env.SLUICE_KAFKA_BROKERS, out)).map((r) => r.value);
  const viaKafkajs = (await readCommitted(kafka, out, { expected: expected.length })).map((r) => r.value);
  expect(count(viaKcat)).toEqual(count(expected));
  expect(count(viaKafkajs)).toEqual(count(expected));
  expect(viaKcat).toHaveLength(expected.length);

  // The source topic deleted and recreated: the checkpoints are ahead of the new log, and say so.
  await kafka.admin().deleteTopics([source]);
  await waitFor(async () => (await kafka.admin().createTopic(source, { partitions: PARTITIONS })) && true, {
    message: 'could not recreate the source topic',
  });
  const checkpoints = await run(['checkpoints', 'upper', ...cli], { env, cwd: dir });
  expect(checkpoints.code, checkpoints.stderr).toBe(0);
  expect(checkpoints.stderr).toContain('partition 0: the log ends at 0, before the checkpoint');
  expect(checkpoints.stderr).toContain('sluice reset upper --partition 0');
});
