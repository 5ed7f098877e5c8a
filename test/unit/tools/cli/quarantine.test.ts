/**
 * `sluice quarantine list | replay | drop` in-process against a file store, on records `sluice
 * invoke` ran through the real handler (no Kafka: the quarantine prints to a log sink).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { EXIT } from '../../../../tools/cli/main';
import { run } from './fake-io';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.TEST_POISON_FIXED;
});
const store = ['--store', 'file', '--store-dir', dir];
const POISON = 'test/unit/tools/cli/fixtures/poison.ts';
const records = (lines: Array<[string, string]>) =>
  lines.map(([key, value]) => JSON.stringify({ partition: 0, key, value })).join('\n');

it('lists parked records, replays a key after a fix and drops another', async () => {
  const invoked = await run(['invoke', POISON, '--records', '-', ...store], {
    stdin: records([
      ['a', '1'],
      ['a', 'poison'],
      ['b', 'poison'],
      ['c', '1'],
      ['a', '2'],
    ]),
  });
  expect(invoked.code).toBe(EXIT.ok);

  const list = await run(['quarantine', POISON, 'list', ...store]);
  expect(list.code).toBe(EXIT.ok);
  expect(list.stdout).toMatch(/0\s+1\s+a\s+quarantined\s+failed\s+poison in a/);
  expect(list.stdout).toMatch(/0\s+4\s+a\s+quarantined\s+behind/);
  const json = JSON.parse((await run(['quarantine', POISON, '--json', ...store])).stdout);
  expect(json.records.map((r: { offset: number; key: string }) => [r.offset, r.key])).toEqual([
    [1, 'a'],
    [2, 'b'],
    [4, 'a'],
  ]);

  const refused = await run(['quarantine', POISON, 'drop', '--key', 'b', ...store]);
  expect(refused.code).toBe(EXIT.usage);
  expect(refused.stderr).toContain('add --yes');
  const dropped = await run(['quarantine', POISON, 'drop', '--key', 'b', '--yes', ...store]);
  expect(dropped.stdout).toContain('partition 0: 1 record(s) dropped for good (offsets 2');
  expect(dropped.stderr).toContain('quarantined records dropped for good');

  process.env.TEST_POISON_FIXED = '1';
  const replay = await run(['quarantine', POISON, 'replay', '--key', 'a', ...store]);
  expect(replay.stdout).toContain('partition 0: 2 record(s) released (offsets 1, 4)');
  expect((await run(['quarantine', POISON, ...store])).stdout).toMatch(/1\s+a\s+replaying/);
  // The partition's next batch runs them first, then its own records.
  await run(['invoke', POISON, '--records', '-', ...store], { stdin: records([['a', '3']]) });
  const state = JSON.parse((await run(['state', POISON, '--key', 'values/a', '--json', ...store])).stdout);
  expect(state.state[0].value).toEqual(['1', 'poison', '2', '3']);
  const empty = await run(['quarantine', POISON, 'list', ...store]);
  expect(empty.stderr).toContain('no quarantined records');
  const nothing = await run(['quarantine', POISON, 'replay', '--key', 'zz', ...store]);
  expect(nothing.code).toBe(1);
});

it('selects the records without a key with --unkeyed', async () => {
  const dir2 = mkdtempSync(join(tmpdir(), 'sluice-cli-quarantine-'));
  const store2 = ['--store', 'file', '--store-dir', dir2];
  try {
    await run(['invoke', POISON, '--records', '-', ...store2], {
      stdin: [
        JSON.stringify({ partition: 0, value: 'poison' }),
        JSON.stringify({ partition: 0, key: 'a', value: 'poison' }),
      ].join('\n'),
    });
    const listed = JSON.parse((await run(['quarantine', POISON, '--unkeyed', '--json', ...store2])).stdout);
    expect(listed.records.map((r: { offset: number }) => r.offset)).toEqual([0]);
    const dropped = await run(['quarantine', POISON, 'drop', '--unkeyed', '--yes', ...store2]);
    expect(dropped.stdout).toContain('partition 0: 1 record(s) dropped for good (offsets 0;');
    const both = await run(['quarantine', POISON, '--unkeyed', '--key', 'a', ...store2]);
    expect(both.code).toBe(EXIT.usage);
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
});

it('rejects an unknown action', async () => {
  const { code, stderr } = await run(['quarantine', POISON, 'purge', ...store]);
  expect(code).toBe(EXIT.usage);
  expect(stderr).toContain('unknown action "purge"');
});
