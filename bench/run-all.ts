/**
 * `npm run bench` (full sizes; writes BENCHMARKS.md) and `npm run bench:smoke` (tiny sizes, for
 * CI: exits non-zero when a benchmark crashes or hangs, never for a missed target).
 *
 *   tsx bench/run-all.ts [--smoke] [--only name,name] [--out file] [--render]
 *
 * `--render` runs nothing: it rewrites the report from each benchmark's last saved result
 * (`.sluice/bench/results/`), e.g. after `--only` reran one of them.
 *
 * Benchmarks run one after the other, each in its own process (2 shared cores: running them in
 * parallel would measure each other).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchResult, describeTarget, targetGoal, targetVerdict } from './lib/bench';
import { fmtBytes, fmtRatio } from './lib/format';
import { type MachineInfo, machineInfo } from './lib/machine';
import { REPO_ROOT, workDir } from './lib/paths';
import { ensureStack } from './lib/stack';
import { markdownTable, renderTable, type Table } from './lib/table';

/** In the order the issue lists them; each is `bench/<name>.ts`. */
export const BENCHMARKS = [
  'throughput',
  'exactly-once-overhead',
  'commit-cost',
  'transactional-output',
  'cold-start',
  'backpressure',
  'stale-instance',
  'compression',
  'restart',
  'quarantine',
  'schema-registry',
  'windows',
] as const;

/** A benchmark that has not finished by then is killed and counted as crashed (hung). */
const TIMEOUT_MS = { smoke: 5 * 60_000, full: 90 * 60_000 };

interface Outcome {
  name: string;
  exitCode: number | null;
  wallMs: number;
  result: BenchResult | null;
  timedOut: boolean;
}

async function runOne(name: string, smoke: boolean): Promise<Outcome> {
  const resultFile = join(workDir('results', smoke ? 'smoke' : 'full'), `${name}.json`);
  rmSync(resultFile, { force: true });
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bench', `${name}.ts`), ...(smoke ? ['--smoke'] : [])],
    {
      cwd: REPO_ROOT,
      // NODE_NO_WARNINGS: the AWS SDK warns on every load under Node 20; nothing else warns here.
      env: { ...process.env, BENCH_RESULT_FILE: resultFile, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      process.stderr.write(
        `${name}: no result after ${TIMEOUT_MS[smoke ? 'smoke' : 'full'] / 60_000} min, stopping it\n`,
      );
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    },
    TIMEOUT_MS[smoke ? 'smoke' : 'full'],
  );
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearTimeout(timer);
  const result = existsSync(resultFile)
    ? (JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult)
    : null;
  return { name, exitCode, wallMs: Date.now() - started, result, timedOut };
}

/** One line per top-level key, numbers to 4 significant digits: raw data, readable in a diff. */
function compactJson(raw: Record<string, unknown>): string {
  const round = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value;
  return Object.entries(raw)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value, round)}`)
    .join('\n');
}

function savedOutcome(name: string, smoke: boolean): Outcome {
  const file = join(workDir('results', smoke ? 'smoke' : 'full'), `${name}.json`);
  const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult) : null;
  return { name, exitCode: result ? 0 : null, wallMs: result?.wallMs ?? 0, result, timedOut: false };
}

/** Starts the stack and records the machine as the run starts (kept for `--render`). */
async function startRun(smoke: boolean): Promise<MachineInfo> {
  await ensureStack(['kafka', 'dynamodb', 's3'], (line) => process.stderr.write(`${line}\n`));
  const machine = await machineInfo();
  writeFileSync(machineFile(smoke), JSON.stringify(machine));
  return machine;
}

/** The machine of the run being rendered: `--render` starts nothing and measures nothing. */
function savedMachine(smoke: boolean): MachineInfo {
  const file = machineFile(smoke);
  if (!existsSync(file)) throw new Error(`--render: no saved run in ${file}: run the benchmarks first`);
  return JSON.parse(readFileSync(file, 'utf8')) as MachineInfo;
}

function machineFile(smoke: boolean): string {
  return join(workDir('results', smoke ? 'smoke' : 'full'), 'machine.json');
}

function status(outcome: Outcome): string {
  if (outcome.timedOut) return 'HUNG (killed)';
  if (outcome.exitCode !== 0 || outcome.result === null) return `CRASHED (exit ${outcome.exitCode})`;
  if (outcome.result.notRun !== null) return `not run: ${outcome.result.notRun}`;
  return 'ran';
}

function summaryTable(outcomes: Outcome[]): Table {
  const rows: string[][] = [];
  for (const outcome of outcomes) {
    const targets = outcome.result?.targets ?? [];
    if (targets.length === 0) {
      rows.push([outcome.name, status(outcome), '', '', '']);
      continue;
    }
    for (const target of targets) {
      rows.push([
        outcome.name,
        target.label,
        fmtRatio(target.ratio),
        targetGoal(target),
        targetVerdict(target),
      ]);
    }
  }
  return {
    title: 'Targets',
    columns: ['benchmark', 'compared', 'ratio', 'target', 'verdict'],
    rows,
    align: ['l', 'l', 'r', 'l', 'l'],
  };
}

function markdown(outcomes: Outcome[], machine: MachineInfo, wallMs: number, smoke: boolean): string {
  const lines: string[] = [];
  // When the run started (its first benchmark), also when `--render` rewrites the report later.
  const starts = outcomes.flatMap((outcome) => (outcome.result ? [outcome.result.startedAt] : [])).sort();
  const date = starts[0] ?? new Date().toISOString();
  lines.push('# Benchmarks', '');
  lines.push(
    `Generated by \`npm run bench${smoke ? ':smoke' : ''}\` (\`bench/run-all.ts\`) from a run started ${date}; the benchmarks took ${(wallMs / 60_000).toFixed(1)} min. ` +
      'Do not edit by hand: rerun it. The analysis at the end is `bench/analysis.md`.',
    '',
  );
  lines.push(
    'Every result is a **ratio measured side by side in one run**: the arms of a comparison run interleaved ' +
      '(each round runs every arm once, rotating which goes first), after warm-up rounds that are dropped; a ratio ' +
      'is the median of the per-round ratios, with their range as `[min-max]`. Absolute numbers are in the tables ' +
      'for reference only: on a shared 2-core machine they drift from minute to minute, their ratios much less. ' +
      'Benchmark 3 counts bytes and requests, which are deterministic.',
    '',
  );
  lines.push(
    'Run one benchmark: `npx tsx bench/<name>.ts` (add `--smoke` for tiny sizes). All: `npm run bench`. CI: `npm run bench:smoke`.',
    '',
  );
  lines.push('## Machine', '');
  lines.push(
    markdownTable({
      title: '',
      columns: ['', ''],
      rows: [
        ['CPUs (nproc)', String(machine.nproc)],
        ['CPU model', machine.cpuModel],
        ['memory', fmtBytes(machine.memoryBytes)],
        ['Node.js', `${machine.node} (${machine.platform})`],
        ['Kafka', machine.kafka],
        ['kafkajs', machine.kafkajs],
        ['load average at start (1 min)', machine.loadAverage.toFixed(2)],
        ['DynamoDB / S3', 'DynamoDB Local (in memory), moto server (S3), 127.0.0.1'],
      ],
    }),
    '',
  );
  lines.push('## Summary', '');
  lines.push(markdownTable(summaryTable(outcomes)), '');
  for (const outcome of outcomes) {
    const result = outcome.result;
    lines.push(`## ${result?.title ?? outcome.name}`, '');
    lines.push(
      `\`${result?.command ?? `npx tsx bench/${outcome.name}.ts`}\` — ${status(outcome)}, ${(outcome.wallMs / 1000).toFixed(0)} s${result ? `, started ${result.startedAt}` : ''}`,
      '',
    );
    if (!result) continue;
    if (result.notRun !== null) lines.push(`**Not run: ${result.notRun}**`, '');
    for (const line of result.method) lines.push(`- ${line}`);
    if (result.method.length > 0) lines.push('');
    for (const table of result.tables) lines.push(`**${table.title}**`, '', markdownTable(table), '');
    if (result.targets.length > 0) {
      for (const target of result.targets) lines.push(`- target ${describeTarget(target)}`);
      lines.push('');
    }
    for (const note of result.notes) lines.push(`> ${note}`, '');
    lines.push(
      '<details><summary>raw numbers</summary>',
      '',
      '```',
      compactJson(result.raw),
      '```',
      '',
      '</details>',
      '',
    );
  }
  const analysis = join(REPO_ROOT, 'bench', 'analysis.md');
  if (existsSync(analysis)) lines.push(readFileSync(analysis, 'utf8').trim(), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'boolean', default: false },
    },
  });
  const smoke = values.smoke ?? false;
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !(BENCHMARKS as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}: have ${BENCHMARKS.join(', ')}`);
  const started = Date.now();
  const machine = values.render ? savedMachine(smoke) : await startRun(smoke);
  const outcomes: Outcome[] = [];
  for (const name of BENCHMARKS.filter((n) => !only || only.includes(n))) {
    if (values.render) {
      // --render: the last saved result of each benchmark (after `--only` reran some of them).
      outcomes.push(savedOutcome(name, smoke));
      continue;
    }
    process.stdout.write(`\n=== ${name} ===\n`);
    outcomes.push(await runOne(name, smoke));
  }
  const wallMs = values.render ? outcomes.reduce((n, o) => n + o.wallMs, 0) : Date.now() - started;
  process.stdout.write('\n');
  process.stdout.write(`${renderTable(summaryTable(outcomes))}\n\n`);
  for (const outcome of outcomes) {
    process.stdout.write(
      `${outcome.name.padEnd(24)} ${status(outcome)} in ${(outcome.wallMs / 1000).toFixed(1)} s\n`,
    );
  }
  process.stdout.write(`total ${(wallMs / 1000).toFixed(1)} s\n`);
  // Full runs write BENCHMARKS.md; smoke runs write beside the scratch results (CI never edits the repo).
  const out =
    values.out ?? (smoke ? join(workDir(), 'BENCHMARKS.smoke.md') : join(REPO_ROOT, 'BENCHMARKS.md'));
  if (!only || values.out || values.render) {
    writeFileSync(out, markdown(outcomes, machine, wallMs, smoke));
    process.stdout.write(`wrote ${relative(process.cwd(), out)}\n`);
  }
  const failed = outcomes.filter((o) => o.timedOut || o.exitCode !== 0 || o.result === null);
  if (failed.length > 0) {
    process.stderr.write(`${failed.map((o) => o.name).join(', ')} crashed or hung\n`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
