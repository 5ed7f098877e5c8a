/**
 * `sluice dev --bundle` as a user runs it: a child process that bundles the function with
 * esbuild, runs the bundle in its own sandbox process, and stops cleanly on Ctrl-C.
 */
import { describe, expect, it } from 'vitest';
import { createFileStore } from '../../../../lib/store/file';
import { run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { sluice, tempDir, testKafka, testTopicName, upperProject } from './helpers';

describe('sluice dev --bundle', () => {
  it('runs the esbuild bundle in a child process until SIGINT (exit 0)', async () => {
    const env = { SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS };
    const kafka = await testKafka();
    const source = testTopicName(kafka, 'cli-src');
    const out = testTopicName(kafka, 'cli-out');
    await kafka.admin().createTopic(source, { partitions: 1 });
    await kafka.admin().createTopic(out, { partitions: 1 });
    const fn = uniqueName('upper');
    const dir = upperProject({ fn, source, out, group: uniqueName('cli-dev') });
    const storeDir = tempDir();

    const dev = sluice(['dev', '--bundle', '--config', `${dir}/serverless.yml`, '--store-dir', storeDir], {
      env: { ...env, SLUICE_LOG_LEVEL: 'info' },
      cwd: dir,
    });
    await run(['produce', source], { env, stdin: 'one\ntwo\nthree\n' });
    const store = createFileStore(storeDir);
    await waitFor(
      async () => (await store.load({ fn, topic: source, partition: 0 }))?.checkpoint.next === 3,
      { message: 'the bundled function never applied the 3 records', timeoutMs: 90_000, intervalMs: 250 },
    );
    await store.close();
    dev.kill('SIGINT');
    const { code, signal, stdout, stderr } = await dev.done;
    expect({ code, signal }, `${stdout}\n${stderr}`).toEqual({ code: 0, signal: null });
    expect(stderr).toContain(`bundling upper (${dir}/upper.ts)`);
    expect(stderr).toContain('esbuild bundles in child processes');
    expect(stdout).toMatch(/^upper +\S+ +\d+ rec\/s +3 done +lag 0:0$/m);

    const published = await run(['consume', out, '--from-beginning', '--max-messages', '3'], { env });
    expect(published.stdout).toBe('ONE\nTWO\nTHREE\n');
  });
});

describe('sluice stack status', () => {
  it('probes each service of the running stack (exit 0)', async () => {
    injectedStack();
    // This process's environment: the ports and stack folder the global setup started it with.
    const { code, stdout } = await run(['stack', 'status', '--json'], { env: process.env });
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.services.map((s: { name: string; running: boolean }) => [s.name, s.running])).toEqual([
      ['kafka', true],
      ['dynamodb', true],
      ['s3', true],
    ]);
    const text = await run(['stack', 'status'], { env: process.env });
    expect(text.stdout.split('\n')[0]).toMatch(/^SERVICE +STATE +ENDPOINT +PID +DESCRIPTION$/);
  });
});
