import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../../../tools/cli/main';
import { intOption, longOptionNames, normalizeArgs } from '../../../../tools/cli/parameters';
import { fakeTerminal } from './fake-io';

const known = longOptionNames(createProgram({ io: fakeTerminal().io }));

describe('ParameterTool-style arguments', () => {
  it('knows the long options of every command', () => {
    for (const name of [
      'bootstrap.servers',
      'group.id',
      'topic',
      'from-beginning',
      'key-separator',
      'json',
    ]) {
      expect(known.has(name), name).toBe(true);
    }
  });

  it('reads -key value as --key value, for known names only', () => {
    expect(normalizeArgs(['consume', '-topic', 'test', '-bootstrap.servers', 'h:1'], known)).toEqual([
      'consume',
      '--topic',
      'test',
      '--bootstrap.servers',
      'h:1',
    ]);
    // a short flag, a negative number and an unknown name pass untouched
    expect(normalizeArgs(['-h', '-1', '-nonsense'], known)).toEqual(['-h', '-1', '-nonsense']);
  });

  it("maps Kafka console tools' spellings, with = or a separate value", () => {
    expect(
      normalizeArgs(
        ['--bootstrap-server=h:1', '--broker-list', 'h:2', '--group', 'g', '--brokers=h:3'],
        known,
      ),
    ).toEqual([
      '--bootstrap.servers=h:1',
      '--bootstrap.servers',
      'h:2',
      '--group.id',
      'g',
      '--bootstrap.servers=h:3',
    ]);
  });

  it('leaves everything after -- alone', () => {
    expect(normalizeArgs(['produce', '--', '-topic', '--group'], known)).toEqual([
      'produce',
      '--',
      '-topic',
      '--group',
    ]);
  });

  it('parses integer options strictly', () => {
    const parse = intOption(1);
    expect(parse('4')).toBe(4);
    for (const bad of ['0', '-1', '1.5', 'x', ''])
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
  });
});
