import type { Command } from 'commander';
import { editDistance } from '../../lib/core/edit-distance';

/**
 * The command word of `args` when it names no command of `program`, else undefined. Global
 * options may come first (`sluice --store file nope`): an option taking a value skips the next
 * argument unless given as `--name=value`. Checked before commander parses, because commander
 * lets `sluice nope --help` print the global help and exit 0, as if all was well.
 */
export function unknownCommand(program: Command, args: readonly string[]): string | undefined {
  const takesValue = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (arg.startsWith('-')) {
      if (!arg.includes('=') && takesValue.has(arg)) i++;
      continue;
    }
    if (arg === 'help') return undefined;
    const known = program.commands.some((c) => c.name() === arg || c.aliases().includes(arg));
    return known ? undefined : arg;
  }
  return undefined;
}

/** `sluice: unknown command "nope": did you mean "dev"? ...`, naming every command. */
export function unknownCommandMessage(program: Command, word: string): string {
  const names = program.commands.map((c) => c.name());
  const suggestion = nearestCommand(word, names);
  return (
    `unknown command "${word}": did you mean "${suggestion}"? ` +
    `The commands are ${names.join(', ')} (\`sluice --help\` describes them)`
  );
}

/** The command a word is a prefix of, else the closest by edit distance. */
export function nearestCommand(word: string, names: readonly string[]): string {
  const lower = word.toLowerCase();
  const prefixed = names.filter((name) => name.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0]!;
  let best = names[0] ?? 'help';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const distance = editDistance(lower, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}
