import type { CommandEnv } from '../cli/context';
import { formatTable } from '../cli/table';
import type { WalkthroughPlan } from './plan';
import type { Check, Observed } from './verdict';

/** The top words of word-count's state, with each partition's share (they count separately). */
export function printTopWords(env: CommandEnv, plan: WalkthroughPlan, seen: Observed, top: number): void {
  const partitions = [...seen.wordCountState.keys()].sort((a, b) => a - b);
  const totals = new Map<string, number>();
  for (const counts of seen.wordCountState.values()) {
    for (const [word, n] of counts) totals.set(word, (totals.get(word) ?? 0) + n);
  }
  const rows = [...totals].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, top);
  env.print(
    env.out.bold(`word-count state: top ${rows.length} of ${totals.size} words`) +
      env.out.dim(` (each partition of ${plan.topic('test')} counts its own records)`),
  );
  env.print(
    indent(
      formatTable(rows, [
        { header: 'WORD', value: ([word]) => word },
        { header: 'COUNT', value: ([, n]) => n },
        ...partitions.map((p) => ({
          header: `p${p}`,
          value: ([word]: [string, number]) => seen.wordCountState.get(p)?.get(word) ?? 0,
        })),
      ]),
    ),
  );
}

/** word-total's windows: per 5 s window of event time, the words counted and the top word. */
export function printWindows(env: CommandEnv, seen: Observed): void {
  const windows = new Map<number, { words: number; top: [string, number] }>();
  for (const record of seen.windowedRecords) {
    const r = JSON.parse(record.value) as { key: string; start: number; value: number };
    const w = windows.get(r.start) ?? { words: 0, top: ['', 0] };
    w.words += r.value;
    if (r.value > w.top[1]) w.top = [r.key, r.value];
    windows.set(r.start, w);
  }
  env.print(
    env.out.bold(`word-total: ${seen.wordTotalState.size} words counted globally; words per 5 s window`) +
      env.out.dim(" (event time: the sentences' timestamps; each closed once)"),
  );
  const rows = [...windows].sort(([a], [b]) => a - b);
  env.print(
    indent(
      formatTable(rows, [
        { header: 'WINDOW', value: ([start]) => new Date(start).toISOString().slice(11, 19) },
        { header: 'WORDS', value: ([, w]) => w.words },
        { header: 'TOP', value: ([, w]) => `${w.top[0]} (${w.top[1]})` },
      ]),
    ),
  );
}

export function printChecks(env: CommandEnv, checks: Check[]): void {
  env.print(
    env.out.bold('checks') + env.out.dim(' (read_committed consumers and the store, against the ticks)'),
  );
  for (const check of checks) {
    env.print(`  ${check.ok ? env.out.green('✓') : env.out.red('✗')} ${check.label}`);
    for (const detail of check.details) env.print(`      ${env.out.red(detail)}`);
  }
}

export function printInspect(env: CommandEnv, plan: WalkthroughPlan, inspectEnv: string): void {
  env.print(env.out.dim('inspect this run:'));
  for (const line of [
    ...(inspectEnv ? [`export ${inspectEnv}`] : []),
    `npx sluice checkpoints word-count --topic ${plan.topic('test')}`,
    `npx sluice state word-count --topic ${plan.topic('test')} --key flink`,
    `npx sluice consume ${plan.topic('word-counts')} --from-beginning --print-key --max-messages 5`,
  ]) {
    env.print(env.out.dim(`  ${line}`));
  }
}

export function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
