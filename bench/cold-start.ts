/**
 * Benchmark 5, cold start: bundle size and module init time of the packaged `word-count`
 * (`npm run package`'s zip, unzipped) against a baseline handler that imports only kafkajs and
 * the DynamoDB and S3 clients, bundled by esbuild with serverless.yml's own `custom.esbuild`
 * options. Init time = `await import(bundle)` measured inside a fresh `node` process, many
 * times, the two bundles alternating; the whole process's wall time is shown too.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { runBench } from './lib/bench';
import { fmtBytes, fmtMs, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { REPO_ROOT, workDir } from './lib/paths';
import { median, type Ratio, ratioOf } from './lib/stats';

const exec = promisify(execFile);

/** serverless-esbuild keys that are esbuild build options as they are. */
const ESBUILD_KEYS = [
  'bundle',
  'minify',
  'keepNames',
  'sourcemap',
  'sourcesContent',
  'format',
  'platform',
  'target',
  'mainFields',
  'banner',
  'external',
];

/** Imports `file` in a fresh node and reports the import's duration and the process's wall time. */
async function coldImport(
  file: string,
  nodeOptions: string[],
  firstCall: boolean,
): Promise<{ importMs: number; processMs: number }> {
  const started = performance.now();
  // First call: the baseline builds its clients (init()); Sluice's handler gets an event with no
  // records, which builds its runtime (aws store clients, Kafka publisher) and returns: no I/O.
  const call = firstCall
    ? "if (m.init) m.init(); else await m.handler({ eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092', records: {} });"
    : '';
  const { stdout } = await exec(
    process.execPath,
    [
      ...nodeOptions,
      '--input-type=module',
      '-e',
      `const t = performance.now(); const m = await import(process.env.BENCH_BUNDLE_URL); ${call} process.stdout.write(String(performance.now() - t));`,
    ],
    {
      env: {
        PATH: process.env.PATH,
        BENCH_BUNDLE_URL: pathToFileURL(file).href,
        // What the deployed function has (serverless.yml provider.environment), with dummy values.
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        SLUICE_STORE: 'aws',
        SLUICE_TABLE: 'bench-table',
        SLUICE_BUCKET: 'bench-bucket',
        SLUICE_KAFKA_BROKERS: '127.0.0.1:9092',
        SLUICE_LOG_LEVEL: 'warn',
        // On by default on Lambda (AWS_LAMBDA_FUNCTION_NAME), which this process is not: the
        // first call then loads the metrics code (Powertools) as the deployed function does.
        SLUICE_METRICS: 'true',
      },
    },
  );
  return { importMs: Number(stdout.trim()), processMs: performance.now() - started };
}

async function zipDir(dir: string, zipFile: string): Promise<number> {
  await rm(zipFile, { force: true });
  await exec('zip', ['-q', '-r', '-X', zipFile, '.'], { cwd: dir });
  return (await stat(zipFile)).size;
}

async function filesIn(dir: string): Promise<Array<{ name: string; bytes: number }>> {
  const out: Array<{ name: string; bytes: number }> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ name: relative(dir, path), bytes: (await stat(path)).size });
  }
  return out;
}

runBench(
  {
    name: 'cold-start',
    title: 'Cold start: packaged word-count vs kafkajs + AWS SDK baseline',
    script: import.meta.url,
  },
  async (ctx) => {
    const { packageService } = await import('../infra/package').catch(() =>
      ctx.notRun('infra/package.ts (npm run package) is missing'),
    );
    const repetitions = ctx.pick({ full: 40, smoke: 3 });
    // Per process: a concurrent run (CI's smoke in the same checkout) must not remove our files.
    const base = workDir('cold-start', `${process.pid}-${randomUUID().slice(0, 8)}`);
    const slsOut = join(base, 'serverless');
    const sluiceDir = join(base, 'word-count');
    const baselineDir = join(base, 'baseline');
    await rm(sluiceDir, { recursive: true, force: true });
    await rm(baselineDir, { recursive: true, force: true });
    await mkdir(sluiceDir, { recursive: true });

    // 1. The packaged function, exactly as `npm run package` builds it (into our own folder).
    ctx.log('packaging (sls package, offline)');
    const packaged = await packageService({
      out: slsOut,
      workFolder: relative(REPO_ROOT, join(base, 'esbuild')),
    });
    const wordCount = packaged.functions.find((f) => f.name === 'word-count');
    if (!wordCount) return ctx.notRun('sls package produced no word-count zip');
    await exec('unzip', ['-q', '-o', wordCount.zip, '-d', sluiceDir]);
    const sluiceFiles = await filesIn(sluiceDir);
    const sluiceEntry = sluiceFiles.find((f) => /\.(mjs|cjs|js)$/.test(f.name));
    if (!sluiceEntry) return ctx.notRun(`no code file in ${wordCount.zip}`);

    // 2. The baseline, bundled with the same esbuild options as serverless.yml's custom.esbuild.
    const custom =
      (
        parse(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8')) as {
          custom?: { esbuild?: Record<string, unknown> };
        }
      ).custom?.esbuild ?? {};
    const options = Object.fromEntries(Object.entries(custom).filter(([key]) => ESBUILD_KEYS.includes(key)));
    const extension = typeof custom.outputFileExtension === 'string' ? custom.outputFileExtension : '.js';
    const baselineFile = join(baselineDir, `handler${extension}`);
    await build({
      ...options,
      entryPoints: [join(REPO_ROOT, 'bench', 'fixtures', 'baseline-handler.ts')],
      outfile: baselineFile,
      absWorkingDir: REPO_ROOT,
      logLevel: 'silent',
    });
    const baselineFiles = await filesIn(baselineDir);
    const sluiceZip = await zipDir(sluiceDir, join(base, 'word-count.rezip.zip'));
    const baselineZip = await zipDir(baselineDir, join(base, 'baseline.zip'));
    const codeBytes = (files: Array<{ name: string; bytes: number }>) =>
      files.filter((f) => /\.(mjs|cjs|js)$/.test(f.name)).reduce((n, f) => n + f.bytes, 0);

    ctx.method(
      `word-count: \`packageService()\` (infra/package.ts, i.e. \`npm run package\`: osls + serverless-esbuild, offline) into .sluice/bench/, its zip unzipped. Baseline: bench/fixtures/baseline-handler.ts (imports kafkajs, @aws-sdk/client-dynamodb, @aws-sdk/client-s3; clients built on first call) bundled by esbuild with serverless.yml's custom.esbuild options (${Object.keys(options).join(', ')}).`,
    );
    ctx.method(
      `Sizes: code = the bundle's .mjs; zip = both folders zipped by \`zip -r -X\` (same tool and level for both). Init: \`node --input-type=module -e "await import(bundle)"\` in a fresh process, ${repetitions} repetitions per arm, arms alternating; import time is measured inside the process (performance.now around the import), process time outside. With and without \`--enable-source-maps\` (serverless.yml sets it in NODE_OPTIONS), and import + first call: Sluice defers loading its store and Kafka code to the first invocation (dynamic imports in runtimeFromConfig), so the first-call row puts both on the same footing (the baseline builds its three clients; Sluice's handler gets an event without records, which builds its runtime and returns, no I/O).`,
    );

    const sizeRatio = (a: number, b: number): Ratio => ratioOf([a], [b]);
    const codeRatio = sizeRatio(codeBytes(sluiceFiles), codeBytes(baselineFiles));
    const zipRatio = sizeRatio(sluiceZip, baselineZip);
    ctx.table({
      title: 'Bundle size',
      columns: ['bundle', 'code (.mjs)', 'source map', 'zip (same tool)', 'zip from sls package'],
      rows: [
        [
          'word-count (Sluice)',
          fmtBytes(codeBytes(sluiceFiles)),
          fmtBytes(sluiceFiles.filter((f) => f.name.endsWith('.map')).reduce((n, f) => n + f.bytes, 0)),
          fmtBytes(sluiceZip),
          fmtBytes(wordCount.zipBytes),
        ],
        [
          'baseline (kafkajs + DynamoDB + S3 clients)',
          fmtBytes(codeBytes(baselineFiles)),
          fmtBytes(baselineFiles.filter((f) => f.name.endsWith('.map')).reduce((n, f) => n + f.bytes, 0)),
          fmtBytes(baselineZip),
          '-',
        ],
        ['ratio Sluice / baseline', fmtRatio(codeRatio), '', fmtRatio(zipRatio), ''],
      ],
    });
    ctx.target({ label: 'bundle code size, Sluice / baseline', op: '<=', value: 1.5, ratio: codeRatio });
    ctx.target({ label: 'zip size, Sluice / baseline', op: '<=', value: 1.5, ratio: zipRatio });

    const sluiceCode = join(sluiceDir, sluiceEntry.name);
    const rows: string[][] = [];
    for (const [label, nodeOptions, firstCall] of [
      ['import, plain node', [], false],
      ['import, --enable-source-maps', ['--enable-source-maps'], false],
      ['import + first call (clients built), --enable-source-maps', ['--enable-source-maps'], true],
    ] as Array<[string, string[], boolean]>) {
      const processTimes: Record<string, number[]> = { sluice: [], baseline: [] };
      const arms: Arm[] = [
        {
          name: 'sluice',
          run: async () => {
            const { importMs, processMs } = await coldImport(sluiceCode, nodeOptions, firstCall);
            processTimes.sluice!.push(processMs);
            return importMs;
          },
        },
        {
          name: 'baseline',
          run: async () => {
            const { importMs, processMs } = await coldImport(baselineFile, nodeOptions, firstCall);
            processTimes.baseline!.push(processMs);
            return importMs;
          },
        },
      ];
      const measured = await interleave({
        arms,
        warmup: 1,
        rounds: repetitions,
        label,
        log: () => {},
        format: fmtMs,
      });
      // The warm-up round's process times are in processTimes too: drop them.
      for (const key of Object.keys(processTimes)) processTimes[key] = processTimes[key]!.slice(1);
      const importRatio = ratioOf(measured.sluice!, measured.baseline!);
      const processRatio = ratioOf(processTimes.sluice!, processTimes.baseline!);
      rows.push([
        label,
        fmtMs(median(measured.sluice!)),
        fmtMs(median(measured.baseline!)),
        fmtRatio(importRatio),
        fmtMs(median(processTimes.sluice!)),
        fmtMs(median(processTimes.baseline!)),
        fmtRatio(processRatio),
      ]);
      ctx.target({
        label: `module init time (${label}), Sluice / baseline`,
        op: '<=',
        value: 1.5,
        ratio: importRatio,
      });
      ctx.raw(`import ms (${label})`, measured);
      ctx.raw(`process ms (${label})`, processTimes);
    }
    ctx.table({
      title: `Cold start in a fresh node process (medians of ${repetitions}; ratio = median [min-max] of paired ratios)`,
      columns: [
        'measured (in-process time)',
        'Sluice',
        'baseline',
        'ratio',
        'Sluice process',
        'baseline process',
        'process ratio',
      ],
      rows,
    });
    ctx.raw('files', { sluice: sluiceFiles, baseline: baselineFiles, slsZipBytes: wordCount.zipBytes });
    await rm(base, { recursive: true, force: true });
  },
);
