/**
 * The Kafka-facing commands against the real broker: topics, produce, consume (read_committed),
 * dev + checkpoints + state. In-process through runCli, and as `node bin/sluice.mjs` children.
 */
import { describe, expect, it } from 'vitest';
import { createFileStore } from '../../../../lib/store/file';
import { EXIT, runCli } from '../../../../tools/cli/main';
import { fakeTerminal, run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { sluice, tempDir, testKafka, testTopicName, upperProject } from './helpers';

const env = () => ({ SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS });

describe('topics', () => {
  it('creates, lists and describes a topic', async () => {
    const kafka = await testKafka();
    const topic = testTopicName(kafka);
    const created = await run(['topics', 'create', topic, '--partitions', '3'], { env: env() });
    expect(created).toMatchObject({ code: EXIT.ok, stdout: `created topic ${topic} with 3 partition(s)\n` });
    const again = await run(['topics', 'create', '--topic', topic, '--partitions', '3'], { env: env() });
    expect(again.stdout).toBe(`topic ${topic} already exists (3 partition(s))\n`);

    const list = await run(['topics', 'list', '--json'], { env: env() });
    expect(JSON.parse(list.stdout)).toContainEqual({ topic, partitions: 3, records: 0 });
    const text = await run(['topics', 'list'], { env: env() });
    expect(text.stdout).toMatch(new RegExp(`^${topic} +3 +0$`, 'm'));
    expect(text.stdout).not.toContain('__consumer_offsets');

    const describe = await run(['topics', 'describe', topic, '--json'], { env: env() });
    expect(JSON.parse(describe.stdout).partitions).toEqual(
      [0, 1, 2].map((partition) => ({ partition, leader: 1, replicas: [1], isr: [1], start: 0, end: 0 })),
    );
    const missing = await run(['topics', 'describe', uniqueName('nope')], { env: env() });
    expect(missing.code).toBe(EXIT.failure);
    expect(missing.stderr).toMatch(
      /^sluice: topic "nope-.*" does not exist: create it with `sluice topics create/,
    );
  });

  it('fails fast, saying what to do, when no broker answers', async () => {
    const started = Date.now();
    const { code, stderr } = await run(['topics', 'list', '--bootstrap.servers', '127.0.0.1:1']);
    expect(code).toBe(EXIT.failure);
    expect(stderr).toContain(
      'sluice: cannot reach Kafka at 127.0.0.1:1: start the local stack (`sluice stack up`)',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('produce and consume', () => {
  it('round-trips stdin lines with keys, as child processes (node bin/sluice.mjs)', async () => {
    const kafka = await testKafka();
    const topic = testTopicName(kafka);
    await kafka.admin().createTopic(topic, { partitions: 2 });
    const lines = Array.from({ length: 20 }, (_, i) => `key-${i}:value ${i}`);
    const produced = await sluice(
      ['produce', topic, '--key-separator', ':', '--bootstrap-server', env().SLUICE_KAFKA_BROKERS],
      {
        stdin: `${lines.join('\n')}\n`,
      },
    ).done;
    expect(produced).toMatchObject({ code: 0, stderr: `produced 20 record(s) to ${topic}\n` });

    const consumed = await sluice(
      [
        'consume',
        '-topic',
        topic,
        '--from-beginning',
        '--max-messages',
        '20',
        '--print-key',
        '--key-separator',
        ':',
      ],
      { env: env() },
    ).done;
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual([...lines].sort());
    expect(consumed.stderr).toContain('processed a total of 20 record(s)');
  });

  it('reads committed data only, unless --read-uncommitted; --max-messages commits what it printed', async () => {
    const kafka = await testKafka();
    const topic = testTopicName(kafka);
    await kafka.admin().createTopic(topic, { partitions: 1 });
    const producer = kafka.transactionalProducer({ transactionalId: uniqueName('cli-txn') });
    const aborted = await producer.beginTransaction();
    await aborted.send([{ topic, messages: [{ value: 'aborted' }] }]);
    await aborted.abort();
    await producer.commitTransaction({
      messages: [{ topic, messages: [{ value: 'one' }, { value: 'two' }] }],
    });
    await producer.disconnect();

    const group = uniqueName('cli-group');
    const first = await run(
      ['consume', topic, '--from-beginning', '--group.id', group, '--max-messages', '1', '--json'],
      {
        env: env(),
      },
    );
    expect(first.code).toBe(EXIT.ok);
    expect(JSON.parse(first.stdout)).toMatchObject({ topic, partition: 0, key: null, value: 'one' });
    // the group resumes after the one record printed
    const rest = await run(['consume', topic, '--group', group, '--timeout-ms', '1500'], { env: env() });
    expect(rest.stdout).toBe('two\n');
    expect(rest.stderr).toContain('processed a total of 1 record(s)');

    const all = await run(
      ['consume', topic, '--from-beginning', '--read-uncommitted', '--timeout-ms', '1500'],
      {
        env: env(),
      },
    );
    expect(all.stdout).toBe('aborted\none\ntwo\n');
    const admin = kafka.admin();
    await admin
      .deleteGroups([group])
      .catch(() => {})
      .finally(() => admin.disconnect());
  });

  it('stops on Ctrl-C and reports what it printed', async () => {
    const kafka = await testKafka();
    const topic = testTopicName(kafka);
    await kafka.admin().createTopic(topic, { partitions: 1 });
    const terminal = fakeTerminal({ env: env() });
    const running = runCli(['consume', topic], { io: terminal.io });
    setTimeout(() => terminal.interrupt(), 1_500);
    expect(await running).toBe(EXIT.ok);
    expect(terminal.stderr()).toContain('processed a total of 0 record(s)');
  });
});

describe('dev, checkpoints, state', () => {
  it('runs a function of serverless.yml until Ctrl-C; checkpoints and state show what it did', async () => {
    const kafka = await testKafka();
    const source = testTopicName(kafka, 'cli-src');
    const out = testTopicName(kafka, 'cli-out');
    await kafka.admin().createTopic(source, { partitions: 2 });
    await kafka.admin().createTopic(out, { partitions: 1 });
    const fn = uniqueName('upper');
    const dir = upperProject({ fn, source, out, group: uniqueName('cli-dev') });
    const storeDir = tempDir();
    const config = ['--config', `${dir}/serverless.yml`, '--store-dir', storeDir];

    const terminal = fakeTerminal({ env: env(), cwd: dir });
    const dev = runCli(['dev', ...config], { io: terminal.io });
    const lines = ['a:alpha', 'b:beta', 'c:gamma', 'd:delta'];
    expect(
      (await run(['produce', source, '--key-separator', ':'], { env: env(), stdin: lines.join('\n') })).code,
    ).toBe(0);

    const store = createFileStore(storeDir);
    await waitFor(
      async () => {
        const tasks = await store.list(fn);
        let seen = 0;
        for (const task of tasks) seen += Number((await store.load(task))?.state.get('seen') ?? 0);
        return seen === 4;
      },
      { message: 'dev never applied the 4 records', timeoutMs: 60_000 },
    );
    await store.close();
    terminal.interrupt();
    expect(await dev).toBe(EXIT.ok);
    expect(terminal.stderr()).toContain(
      "local settings replace the deployment's SLUICE_KAFKA_SASL_MECHANISM, SLUICE_STORE",
    );
    expect(terminal.stderr()).toContain('SIGINT: stopping');
    expect(terminal.stdout()).toMatch(/^upper +\S+ +\d+ rec\/s +4 done +lag 0:0 1:0$/m);

    const checkpoints = await run(['checkpoints', 'upper', ...config, '--json'], { env: env(), cwd: dir });
    expect(checkpoints.code).toBe(EXIT.ok);
    const rows = JSON.parse(checkpoints.stdout).checkpoints as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.partition, r.next, r.end, r.lag, r.outboxStatus])).toEqual(
      rows.map((r) => [r.partition, r.end, r.end, 0, 'published']),
    );
    expect(rows.reduce((n, r) => n + Number(r.next), 0)).toBe(4);
    // caught up: no time lag; every committed task has a checkpoint age
    expect(rows.map((r) => r.timeLagMs)).toEqual(rows.map(() => 0));
    for (const r of rows.filter((r) => Number(r.next) > 0))
      expect(r.checkpointAgeMs).toBeGreaterThanOrEqual(0);

    // A record written while nothing runs waits: its time lag grows from its timestamp.
    const producedAt = Date.now();
    await run(['produce', source, '--partition', '1'], { env: env(), stdin: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const behind = await run(['checkpoints', 'upper', ...config, '--json'], { env: env(), cwd: dir });
    const checkedAt = Date.now();
    const p1 = (JSON.parse(behind.stdout).checkpoints as Array<Record<string, number>>).find(
      (r) => r.partition === 1,
    )!;
    expect(p1.lag).toBe(1);
    expect(p1.timeLagMs).toBeGreaterThanOrEqual(1_200);
    expect(p1.timeLagMs).toBeLessThanOrEqual(checkedAt - producedAt + 1_000);
    const table = await run(['checkpoints', 'upper', ...config], { env: env(), cwd: dir });
    expect(table.stdout).toMatch(/PARTITION .* LAG +TIME LAG +AGE +COMMITTED/);
    expect(table.stdout).toMatch(/^ *1 .* 1 +\d+(\.\d)?s +\S+ /m);

    const state = await run(['state', 'upper', ...config, '--json'], { env: env(), cwd: dir });
    expect(
      JSON.parse(state.stdout)
        .state.map((r: { value: number }) => r.value)
        .sort(),
    ).toEqual(
      rows
        .filter((r) => Number(r.next) > 0)
        .map((r) => r.next)
        .sort(),
    );

    const published = await run(['consume', out, '--from-beginning', '--max-messages', '4', '--print-key'], {
      env: env(),
    });
    expect(published.stdout.trim().split('\n').sort()).toEqual([
      'a\tALPHA',
      'b\tBETA',
      'c\tGAMMA',
      'd\tDELTA',
    ]);
  });
});
