import { type Command, InvalidArgumentError } from 'commander';

/**
 * Other spellings of the CLI's options, so commands copied from Kafka's console tools or the
 * Flink walkthrough work as they are: `--bootstrap-server` (Kafka 2.x+ tools), `--broker-list`
 * (old console producer), `--group` (console consumer).
 */
export const OPTION_ALIASES: Readonly<Record<string, string>> = {
  'bootstrap-server': 'bootstrap.servers',
  'bootstrap-servers': 'bootstrap.servers',
  'broker-list': 'bootstrap.servers',
  brokers: 'bootstrap.servers',
  group: 'group.id',
};

/**
 * Normalises arguments the way Flink's ParameterTool reads them: `--key value`, `--key=value`
 * and `-key value` are the same, and the aliases above map to the CLI's own names. Only names
 * the program knows are rewritten (so `-v`-style short flags and negative numbers pass
 * untouched); everything after `--` is left alone.
 *
 * @example
 * normalizeArgs(['consume', '-topic', 'test', '--bootstrap-server=127.0.0.1:29092'], known)
 * // ['consume', '--topic', 'test', '--bootstrap.servers=127.0.0.1:29092']
 */
export function normalizeArgs(args: readonly string[], known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const match = /^(--?)([A-Za-z][A-Za-z0-9._-]+)(=.*)?$/.exec(arg);
    if (!match) {
      out.push(arg);
      continue;
    }
    const [, dashes, rawName, rest = ''] = match;
    const name = OPTION_ALIASES[rawName!] ?? rawName!;
    if (dashes === '-' && !known.has(name)) {
      out.push(arg);
      continue;
    }
    out.push(known.has(name) || OPTION_ALIASES[rawName!] ? `--${name}${rest}` : arg);
  }
  return out;
}

/** Every long option name (without dashes) of a program and its subcommands. */
export function longOptionNames(program: Command): Set<string> {
  const names = new Set<string>(['help', 'version']);
  const visit = (command: Command) => {
    for (const option of command.options) {
      if (option.long) names.add(option.long.replace(/^--(no-)?/, ''));
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  return names;
}

/** An integer option parser (commander reports the option name and value on failure). */
export function intOption(min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    }
    return n;
  };
}
