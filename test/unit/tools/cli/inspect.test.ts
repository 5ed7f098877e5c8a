/**
 * `invoke`, `state` and `checkpoints` in-process against a file store: the real handler runs,
 * the commands read back what it committed. No Kafka: the functions have no Kafka sink, and
 * checkpoints runs with --no-kafka.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../../tools/cli/main';
import { run } from './fake-io';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = ['--store', 'file', '--store-dir', dir];
const COUNT = 'test/unit/tools/cli/fixtures/count.ts';

describe('invoke', () => {
  it('runs records through the handler and shows the state change (text)', async () => {
    const { code, stdout, stderr } = await run(
      ['invoke', 'functions/prefix.ts', '--records', '-', ...store],
      {
        stdin: '{"partition": 0, "value": "hello flink"}\n{"partition": 0, "value": "hello kafka"}\n',
      },
    );
    expect(stderr).toContain('"message":"Sluice says: hello flink"');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('prefix test-0: 2 record(s), applied 2; version 0 → 1, next offset 0 → 2');
    expect(stdout).toMatch(/out\s+-\s+Sluice says: hello kafka/);
  });

  it('continues from the checkpoint, and reports state changes as JSON', async () => {
    const records = '[{"partition": 1, "value": "to be or not to be"}]';
    await run(['invoke', COUNT, '--records', '-', ...store], { stdin: records });
    const second = await run(['invoke', COUNT, '--records', '-', ...store, '--json'], { stdin: records });
    expect(second.code).toBe(EXIT.ok);
    const report = JSON.parse(second.stdout);
    expect(report).toMatchObject({ function: 'count', result: null, error: null });
    expect(report.partitions).toEqual([
      {
        partition: 1,
        records: 1,
        before: { version: 1, next: 1 },
        after: { version: 2, next: 2 },
        state: [
          { key: 'counts/be', before: 2, after: 4 },
          { key: 'counts/not', before: 1, after: 2 },
          { key: 'counts/or', before: 1, after: 2 },
          { key: 'counts/to', before: 2, after: 4 },
        ],
        outputs: [],
      },
    ]);
  });

  it('shows Kafka outputs without publishing them, in its own store (.sluice/invoke)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-cwd-'));
    try {
      const { code, stdout } = await run(
        [
          'invoke',
          resolve('functions/word-count.ts'),
          '--records',
          '-',
          '--bootstrap.servers',
          '127.0.0.1:1',
        ],
        { stdin: '{"partition": 1, "value": "to be or not to be"}', cwd },
      );
      expect(code).toBe(EXIT.ok);
      expect(stdout).toMatch(/^ {2}counts → word-counts {2}be {3}\{"word":"be","count":2\}$/m);
      expect(stdout).toContain('Kafka outputs are shown, not published (invoke runs outside the trigger)');
      expect(existsSync(join(cwd, '.sluice', 'invoke'))).toBe(true);
      expect(existsSync(join(cwd, '.sluice', 'checkpoints'))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('rejects records that are not {partition, key, value, headers}', async () => {
    const { code, stderr } = await run(['invoke', COUNT, '--records', '-', ...store], {
      stdin: '{"partition": 0, "valeu": "typo"}',
    });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe(
      'sluice: stdin record 1: unknown field "valeu"; allowed: partition, offset, key, value, headers, timestamp\n',
    );
  });

  it('reads a JSON array from a file', async () => {
    const file = join(dir, 'records.json');
    writeFileSync(file, JSON.stringify([{ partition: 2, value: 'from a file' }]));
    const { code, stdout } = await run(['invoke', 'functions/prefix.ts', '--records', file, ...store]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('prefix test-2: 1 record(s), applied 1');
  });
});

describe('state and checkpoints', () => {
  it('show what invoke committed', async () => {
    await run(['invoke', COUNT, '--records', '-', ...store], {
      stdin: '{"partition": 0, "value": "a b a"}\n{"partition": 3, "value": "b"}\n',
    });
    const state = await run(['state', COUNT, ...store, '--json']);
    expect(state.code).toBe(EXIT.ok);
    expect(JSON.parse(state.stdout).state).toEqual([
      { partition: 0, key: 'counts/a', value: 2 },
      { partition: 0, key: 'counts/b', value: 1 },
      { partition: 1, key: 'counts/be', value: 4 },
      { partition: 1, key: 'counts/not', value: 2 },
      { partition: 1, key: 'counts/or', value: 2 },
      { partition: 1, key: 'counts/to', value: 4 },
      { partition: 3, key: 'counts/b', value: 1 },
    ]);

    const one = await run(['state', COUNT, ...store, '--key', 'b', '--partition', '3']);
    expect(one.stdout).toBe(
      [
        'function count · topic words · store file',
        'PARTITION  KEY       VALUE',
        '        3  counts/b  1',
        '',
      ].join('\n'),
    );
    const none = await run(['state', COUNT, ...store, '--key', 'zzz']);
    expect(none.code).toBe(EXIT.failure);
    expect(none.stderr).toBe('no matching state\n');

    const checkpoints = await run(['checkpoints', COUNT, ...store, '--no-kafka', '--json']);
    expect(checkpoints.code).toBe(EXIT.ok);
    const rows = JSON.parse(checkpoints.stdout).checkpoints;
    expect(rows.map((r: { partition: number }) => r.partition)).toEqual([0, 1, 3]);
    expect(rows[0]).toEqual({
      topic: 'words',
      partition: 0,
      version: 1,
      next: 1,
      stateKeys: 2,
      outbox: 0,
      outboxStatus: 'none',
      end: null,
      lag: null,
      committedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      // how long ago it was committed; no time lag without Kafka to read the waiting records from
      checkpointAgeMs: expect.any(Number),
      timeLagMs: null,
    });
    expect(rows[0].checkpointAgeMs).toBeGreaterThanOrEqual(0);
    expect(rows[0].checkpointAgeMs).toBeLessThan(60_000);
    const table = await run(['checkpoints', COUNT, ...store, '--no-kafka']);
    expect(table.stdout.split('\n')[1]).toMatch(
      /^PARTITION {2}NEXT {2}VERSION {2}STATE KEYS {2}OUTBOX {2}END {2}LAG {2}TIME LAG +AGE {2}COMMITTED$/,
    );
    // the row: no end, lag nor time lag without Kafka; the age as a person reads it
    expect(table.stdout.split('\n')[2]).toMatch(/ - {2,}- +\d+(ms|\.\ds) {2}\d{4}-/);
  });
});
