/**
 * The frame of one benchmark script (`tsx bench/<name>.ts [--smoke]`): sizes by mode, tables and
 * targets printed as they come, a JSON result for `bench/run-all.ts` (BENCH_RESULT_FILE), and the
 * exit code: non-zero only when the benchmark crashes, never for a missed target (timings on a
 * shared machine are not a pass/fail signal; the ratios are for people to read).
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../../lib/core/errors';
import { fmtRatio } from './format';
import { REPO_ROOT } from './paths';
import type { Ratio } from './stats';
import { renderTable, type Table } from './table';

export type { Table } from './table';

export interface Target {
  /** what is compared, e.g. `file store, batch 1000` */
  label: string;
  /** `>=` / `<=`: the ratio's median against `value`; `within`: every value within ±value of 1 */
  op: '>=' | '<=' | 'within';
  value: number;
  ratio: Ratio | null;
  /** null: not measured (see note) */
  met: boolean | null;
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  command: string;
  smoke: boolean;
  startedAt: string;
  wallMs: number;
  /** what was measured and how (printed above the tables in BENCHMARKS.md) */
  method: string[];
  tables: Table[];
  targets: Target[];
  notes: string[];
  /** set when the benchmark could not run at all (a missing module): not a crash */
  notRun: string | null;
  /** every measured value, for BENCHMARKS.md's raw numbers */
  raw: Record<string, unknown>;
}

export interface BenchContext {
  readonly smoke: boolean;
  /** `full` in a full run, `smoke` in a smoke run */
  pick<T>(sizes: { full: T; smoke: T }): T;
  method(line: string): void;
  table(table: Table): void;
  target(target: Omit<Target, 'met'> & { met?: boolean | null }): Target;
  note(line: string): void;
  raw(key: string, value: unknown): void;
  /** Ends the benchmark as "not run: <reason>" (reported, exit 0). */
  notRun(reason: string): never;
  log(line: string): void;
}

class NotRun extends Error {}

export function isSmoke(argv = process.argv, env = process.env): boolean {
  return argv.includes('--smoke') || env.BENCH_SMOKE === '1';
}

/** Judges a target from its ratio (null when nothing was measured). */
export function judge(target: Pick<Target, 'op' | 'value' | 'ratio'>): boolean | null {
  const { ratio } = target;
  if (ratio === null || !Number.isFinite(ratio.median)) return null;
  if (target.op === '>=') return ratio.median >= target.value;
  if (target.op === '<=') return ratio.median <= target.value;
  // within: every measured ratio, not just the median, stays in the band
  return [ratio.min, ratio.max, ...ratio.rounds].every((r) => Math.abs(r - 1) <= target.value + 1e-9);
}

export function targetGoal(target: Pick<Target, 'op' | 'value'>): string {
  return target.op === 'within'
    ? `within ±${Math.round(target.value * 100)}% of 1`
    : `${target.op} ${target.value}`;
}

export function targetVerdict(target: Target): string {
  if (target.met === null) return target.ratio === null ? 'NOT MEASURED' : 'info';
  return target.met ? 'met' : 'MISSED';
}

export function describeTarget(target: Target): string {
  const note = target.note ? ` — ${target.note}` : '';
  return `${target.label}: ${fmtRatio(target.ratio)} (target ${targetGoal(target)}) ${targetVerdict(target)}${note}`;
}

/**
 * Runs a benchmark body. `script` is the caller's `import.meta.url`, for the command line shown
 * in BENCHMARKS.md.
 */
export function runBench(
  meta: { name: string; title: string; script: string },
  body: (ctx: BenchContext) => Promise<void>,
): void {
  const smoke = isSmoke();
  const started = Date.now();
  const path = relative(REPO_ROOT, fileURLToPath(meta.script));
  const result: BenchResult = {
    name: meta.name,
    title: meta.title,
    command: `npx tsx ${path}${smoke ? ' --smoke' : ''}`,
    smoke,
    startedAt: new Date(started).toISOString(),
    wallMs: 0,
    method: [],
    tables: [],
    targets: [],
    notes: [],
    notRun: null,
    raw: {},
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const ctx: BenchContext = {
    smoke,
    pick: (sizes) => (smoke ? sizes.smoke : sizes.full),
    method: (line) => {
      result.method.push(line);
    },
    table(table) {
      result.tables.push(table);
      out('');
      out(renderTable(table));
    },
    target(input) {
      const target: Target = { ...input, met: input.met === undefined ? judge(input) : input.met };
      result.targets.push(target);
      return target;
    },
    note(line) {
      result.notes.push(line);
    },
    raw(key, value) {
      result.raw[key] = value;
    },
    notRun(reason) {
      throw new NotRun(reason);
    },
    log: (line) => process.stderr.write(`${line}\n`),
  };

  out(`# ${meta.title} (${meta.name}${smoke ? ', smoke sizes' : ''})`);
  const finish = (code: number) => {
    result.wallMs = Date.now() - started;
    if (result.targets.length > 0) {
      out('');
      for (const target of result.targets) out(`target ${describeTarget(target)}`);
    }
    for (const note of result.notes) out(`note: ${note}`);
    if (result.notRun !== null) out(`NOT RUN: ${result.notRun}`);
    out(`(${meta.name} took ${(result.wallMs / 1000).toFixed(1)} s)`);
    if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(result));
    // kafkajs and the AWS SDK can leave sockets and timers behind: the result is written, leave.
    process.exit(code);
  };
  body(ctx).then(
    () => finish(0),
    (error: unknown) => {
      if (error instanceof NotRun) {
        result.notRun = error.message;
        finish(0);
        return;
      }
      process.stderr.write(
        `${meta.name} crashed: ${error instanceof Error ? error.stack : messageOf(error)}\n`,
      );
      finish(1);
    },
  );
}
