import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { EXIT, formatError } from '../../../../tools/cli/main';
import { type FakeKafkaCalls, fakeKafka, run } from './fake-io';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function calls(): FakeKafkaCalls {
  return { configs: [], created: [] };
}

describe('sluice: help and usage', () => {
  it('--help lists every command and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(EXIT.ok);
    for (const command of [
      'start',
      'dev',
      'invoke',
      'produce',
      'consume',
      'topics',
      'checkpoints',
      'state',
      'stack',
      'transactions',
      'gc',
    ]) {
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('--help of a subcommand shows its options and the global ones', async () => {
    const { code, stdout } = await run(['consume', '--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('--from-beginning');
    expect(stdout).toContain('--group.id <id>');
    expect(stdout).toContain('Global Options:');
    expect(stdout).toContain('--bootstrap.servers <hosts>');
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    const unknown = await run(['nope']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('sluice: unknown command "nope": did you mean');
    // --help after an unknown command must not print the global help and claim success
    for (const args of [
      ['chekpoints', '--help'],
      ['--store', 'file', 'chekpoints'],
      ['--json', 'chekpoints'],
    ]) {
      const typo = await run(args);
      expect(typo.code).toBe(EXIT.usage);
      expect(typo.stdout).toBe('');
      expect(typo.stderr).toContain('unknown command "chekpoints": did you mean "checkpoints"?');
    }
    expect((await run(['dv'])).stderr).toContain('did you mean "dev"?');
    expect((await run(['help'])).code).toBe(EXIT.ok);
    const option = await run(['topics', 'list', '--frobnicate']);
    expect(option.code).toBe(EXIT.usage);
    expect(option.stderr).toContain("unknown option '--frobnicate'");
  });

  it('a bad option value is a usage error naming the option', async () => {
    const { code, stderr } = await run(['topics', 'create', 't', '--partitions', 'many']);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain("option '--partitions <n>' argument 'many' is invalid");
  });

  it("gc refuses a minimum age below Lambda's longest timeout, and stores without objects", async () => {
    const young = await run(['gc', '--min-age-hours', '0.1']);
    expect(young.code).toBe(EXIT.usage);
    expect(young.stderr).toContain('a younger object may belong to a commit in flight');
    const file = await run(['gc', '--store', 'memory']);
    expect(file.code).toBe(EXIT.failure);
    expect(file.stderr).toContain("gc sweeps the aws store's S3 objects; the memory store has none");
  });

  it('a missing topic is a usage error with one line saying what to do', async () => {
    const { code, stderr } = await run(['produce'], { kafka: fakeKafka(calls()) });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe('sluice: a topic is required: give it as the argument or as --topic <name>\n');
  });
});

describe('sluice: errors', () => {
  it('a failing command prints one line and exits 1', async () => {
    const { code, stderr } = await run(['state', 'word-count', '--config', join(dir, 'missing.yml')]);
    expect(code).toBe(EXIT.failure);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^sluice: no .*missing\.yml to find "word-count" in/);
  });

  it('--verbose adds the error code and the stack', async () => {
    const { code, stderr } = await run([
      'state',
      'word-count',
      '--config',
      join(dir, 'missing.yml'),
      '--verbose',
    ]);
    expect(code).toBe(EXIT.failure);
    expect(stderr).toMatch(/^sluice \[CONFIG\]: ConfigError: no /);
    expect(stderr).toMatch(/\n\s+at /);
  });

  it('multi-line messages keep their first line and point at --verbose', () => {
    expect(formatError(new ConfigError('first\nsecond'), false)).toBe(
      'sluice: first (run with --verbose for details)',
    );
  });

  it('a function that is not in serverless.yml is named, with the ones that are', async () => {
    const config = join(dir, 'serverless.yml');
    writeFileSync(
      config,
      'service: s\nprovider: { name: aws }\nfunctions:\n  wc:\n    handler: fns/wc.handler\n    events:\n      - msk: { arn: arn:aws:kafka:us-east-1:1:cluster/c/u, topic: t }\n',
    );
    const { code, stderr } = await run(['checkpoints', 'nope', '--config', config]);
    expect(code).toBe(EXIT.failure);
    expect(stderr).toContain('no function "nope" with a Kafka event');
    expect(stderr).toContain('choose one of wc');
  });
});

describe('sluice: Kafka settings', () => {
  it('--bootstrap.servers beats SLUICE_KAFKA_BROKERS, in any ParameterTool spelling', async () => {
    for (const args of [
      ['topics', 'create', 't', '--bootstrap.servers', '10.0.0.1:9092'],
      ['topics', 'create', 't', '--bootstrap-server=10.0.0.1:9092'],
      ['-bootstrap.servers', '10.0.0.1:9092', 'topics', 'create', '-topic', 't'],
    ]) {
      const seen = calls();
      const { code } = await run(args, {
        kafka: fakeKafka(seen),
        env: { SLUICE_KAFKA_BROKERS: '10.9.9.9:9092' },
      });
      expect(code, args.join(' ')).toBe(EXIT.ok);
      expect(seen.configs[0]?.brokers).toEqual(['10.0.0.1:9092']);
      expect(seen.created).toEqual([{ topic: 't', partitions: 1, replicationFactor: 1 }]);
    }
  });

  it('SLUICE_KAFKA_BROKERS, else the local stack', async () => {
    const fromEnv = calls();
    await run(['topics', 'create', 't'], {
      kafka: fakeKafka(fromEnv),
      env: { SLUICE_KAFKA_BROKERS: '10.9.9.9:9092' },
    });
    expect(fromEnv.configs[0]?.brokers).toEqual(['10.9.9.9:9092']);
    const byDefault = calls();
    await run(['topics', 'create', 't'], { kafka: fakeKafka(byDefault) });
    expect(byDefault.configs[0]?.brokers).toEqual(['127.0.0.1:29092']);
  });
});

describe('sluice: store settings', () => {
  it('refuses an empty store directory instead of using the current one', async () => {
    const fromEnv = await run(['state', 'functions/word-count.ts'], { env: { SLUICE_STORE_DIR: '' } });
    expect(fromEnv).toMatchObject({ code: EXIT.failure });
    expect(fromEnv.stderr).toBe(
      'sluice: SLUICE_STORE_DIR is empty: name a directory, or leave it out (default .sluice/checkpoints)\n',
    );
    const fromOption = await run(['invoke', 'functions/prefix.ts', '--records', '-', '--store-dir', '']);
    expect(fromOption.stderr).toBe(
      'sluice: --store-dir is empty: name a directory, or leave it out (default .sluice/invoke)\n',
    );
  });

  it('rejects an unknown store kind', async () => {
    const { code, stderr } = await run(['state', 'functions/word-count.ts', '--store', 'redis']);
    expect(code).toBe(EXIT.failure);
    expect(stderr).toBe('sluice: --store must be one of memory, file, aws, got "redis"\n');
  });
});

describe('sluice: --json', () => {
  it('prints the result as JSON instead of text', async () => {
    const text = await run(['topics', 'create', 't', '--partitions', '3'], { kafka: fakeKafka(calls()) });
    expect(text.stdout).toBe('created topic t with 3 partition(s)\n');
    const json = await run(['topics', 'create', 't', '--partitions', '3', '--json'], {
      kafka: fakeKafka(calls()),
    });
    expect(JSON.parse(json.stdout)).toEqual({ topic: 't', created: true, partitions: 3 });
    const existing = await run(['--json', 'topics', 'create', 't'], { kafka: fakeKafka(calls(), ['t']) });
    expect(JSON.parse(existing.stdout)).toEqual({ topic: 't', created: false, partitions: 3 });
  });
});
