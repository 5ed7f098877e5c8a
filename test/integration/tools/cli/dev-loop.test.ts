/**
 * The local loop as a new user meets it: `sluice dev` on a project whose topics do not exist
 * yet, then with --create-topics; the functions' log lines readable on a terminal and JSON with
 * --json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../../../tools/cli/main';
import { fakeTerminal, run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { REPO, tempDir, testKafka, testTopicName } from './helpers';

/** A project whose function prints each record through a log sink. */
function echoProject(source: string): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'echo.ts'),
    `import { defineFunction, logSink, serde } from ${JSON.stringify(join(REPO, 'lib', 'index.ts'))};
export const handler = defineFunction({
  name: 'echo',
  source: { topic: ${JSON.stringify(source)}, value: serde.string() },
  sinks: { out: logSink({ value: serde.string() }) },
  process(batch, { emit }) {
    for (const record of batch.records) emit.out({ value: record.value });
  },
});
`,
  );
  writeFileSync(
    join(dir, 'serverless.yml'),
    `service: loop-test
provider: { name: aws, runtime: nodejs22.x }
functions:
  echo:
    handler: echo.handler
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/local/00000000-0000-0000-0000-000000000000-1
          topic: ${source}
          consumerGroupId: ${uniqueName('loop')}
          startingPosition: TRIM_HORIZON
`,
  );
  return dir;
}

const env = () => ({ SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS, NO_COLOR: '1' });

describe('sluice dev: the local loop', () => {
  it('offers to create missing topics, creates them with --create-topics, prints logs readably or as JSON', async () => {
    const kafka = await testKafka();
    const source = testTopicName(kafka, 'loop-src');
    const dir = echoProject(source);
    const args = [
      'dev',
      '--config',
      `${dir}/serverless.yml`,
      '--store-dir',
      tempDir(),
      '--no-ui',
      '--no-progress',
    ];

    const missing = await run(args, { env: env(), cwd: dir });
    expect(missing.code).toBe(EXIT.failure);
    expect(missing.stderr).toContain(
      `sluice: missing topic on ${env().SLUICE_KAFKA_BROKERS}: ${source} (echo's trigger). ` +
        'Run `sluice dev --create-topics` to create them',
    );

    // on a terminal: the topic is created, and the function's lines read like a dev tool's
    const terminal = fakeTerminal({ env: env(), cwd: dir, tty: true });
    const dev = runCli([...args, '--create-topics', '--partitions', '2'], { io: terminal.io });
    await waitFor(() => terminal.stderr().includes('sluice dev: echo'), {
      message: `dev did not start:\n${terminal.stderr()}`,
      timeoutMs: 60_000,
    });
    expect(terminal.stderr()).toContain(
      `created topic ${source} with 2 partitions on ${env().SLUICE_KAFKA_BROKERS}`,
    );
    expect((await kafka.admin().partitions(source)).length).toBe(2);
    await run(['produce', source, '--partition', '1'], { env: env(), stdin: 'hello readable' });
    await waitFor(() => terminal.stdout().includes('hello readable'), {
      message: `no line printed:\n${terminal.stdout()}`,
      timeoutMs: 60_000,
    });
    terminal.interrupt();
    expect(await dev).toBe(EXIT.ok);
    expect(terminal.stdout()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}echo p1 {2}hello readable {2}sink=out$/m,
    );
    expect(terminal.stdout()).not.toContain('"_aws"'); // its metrics feed the page, they are not printed

    // --json (or a pipe): the same lines as JSON, with the request id and the task
    const json = fakeTerminal({ env: env(), cwd: dir, tty: true });
    const again = runCli([...args, '--json'], { io: json.io });
    await waitFor(() => json.stderr().includes('sluice dev: echo'), {
      message: json.stderr(),
      timeoutMs: 60_000,
    });
    await run(['produce', source, '--partition', '0'], { env: env(), stdin: 'hello json' });
    await waitFor(() => json.stdout().includes('hello json'), { message: json.stdout(), timeoutMs: 60_000 });
    json.interrupt();
    expect(await again).toBe(EXIT.ok);
    const line = json
      .stdout()
      .split('\n')
      .find((l) => l.includes('hello json'))!;
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      message: 'hello json',
      fn: 'echo',
      task: `echo/${source}-0`,
      partition: 0,
      requestId: expect.any(String),
    });
  });
});
