/**
 * esbuild bundles for the child-process invoker: the function file as it deploys (what
 * serverless-esbuild packages: one file, Node target, CommonJS unless `custom.esbuild.format`
 * says esm, `custom.esbuild.external`/`exclude` left out) and the small child runner.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ConfigError, messageOf } from '../../lib/core/errors';

/** Lambda's Node.js 22 runtime; Node 20 must keep working locally (package.json engines). */
const TARGET = 'node20';

export interface BundleOptions {
  /** The function's source file (absolute). */
  entry: string;
  /** Where the bundle goes (absolute); `.cjs` or `.mjs` follows `format`. */
  outFile: string;
  format?: 'cjs' | 'esm';
  /** Packages left out of the bundle (resolved from node_modules at run time, as on Lambda layers). */
  external?: string[];
  /** Directory packages resolve from (default: the entry's). */
  cwd?: string;
}

/**
 * Bundles one function. Returns the bundle's path.
 *
 * @example
 * const bundle = await bundleFunction({ entry: resolve('functions/word-count.ts'),
 *   outFile: resolve('.sluice/bundles/word-count.cjs') });
 */
export async function bundleFunction(options: BundleOptions): Promise<string> {
  const format = options.format ?? 'cjs';
  await mkdir(dirname(options.outFile), { recursive: true });
  try {
    await build({
      entryPoints: [options.entry],
      outfile: options.outFile,
      absWorkingDir: options.cwd ?? dirname(options.entry),
      bundle: true,
      platform: 'node',
      target: TARGET,
      format,
      sourcemap: 'inline',
      external: options.external ?? [],
      logLevel: 'silent',
      // An ESM bundle of CommonJS packages needs `require` for Node built-ins.
      ...(format === 'esm' && {
        banner: {
          js: "import { createRequire as __sluiceRequire } from 'node:module'; const require = __sluiceRequire(import.meta.url);",
        },
      }),
    });
  } catch (error) {
    throw new ConfigError(`cannot bundle ${options.entry}: ${messageOf(error)}`);
  }
  return options.outFile;
}

/** Bundles the child runner into `outDir` (once per process); returns its path. */
export async function bundleChildRunner(outDir: string): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = ['child-runner.ts', 'child-runner.js'].map((f) => join(here, f)).find((f) => existsSync(f));
  if (!entry) throw new ConfigError(`the child runner is missing next to ${here}`);
  const outFile = join(outDir, '_child-runner.cjs');
  runnerBuilds.set(outFile, runnerBuilds.get(outFile) ?? bundleFunction({ entry, outFile, format: 'cjs' }));
  try {
    return await runnerBuilds.get(outFile)!;
  } catch (error) {
    runnerBuilds.delete(outFile);
    throw error;
  }
}

const runnerBuilds = new Map<string, Promise<string>>();
