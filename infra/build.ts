/**
 * `npm run build`: the installable package in dist/ (run by `npm pack` through `prepack`).
 *
 * - JavaScript: one esbuild run over the three entries (the runtime API `sluice`, the harness
 *   `sluice/testing`, the CLI), ESM with code splitting, so the entries share one copy of every
 *   module: an error class thrown by the harness is the one a test imports from `sluice`.
 *   Packages stay external (installed beside Sluice from its `dependencies`); a bare import that
 *   is not a dependency fails the build, so the tarball cannot miss one.
 * - Types: `tsc -p tsconfig.build.json` emits `.d.ts` for the two public entries into
 *   dist/types; the sources import without extensions (Bundler resolution), so relative
 *   specifiers in the declarations are then rewritten to the `.js` / `/index.js` Node resolves,
 *   which makes the types usable under `moduleResolution: nodenext` too.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** dist/<name>.js for each entry; package.json's `exports` and bin/sluice.mjs name these. */
export const ENTRIES = {
  index: 'lib/index.ts',
  testing: 'lib/testing/harness.ts',
  cli: 'tools/cli/main.ts',
} as const;

export async function buildPackage(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
  await Promise.all([buildJavaScript(), buildTypes()]);
}

async function buildJavaScript(): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: entry, out })),
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // The CLI and the harness run on the developer's Node (20.19+); Lambda bundles are built
    // from these modules again by the user's esbuild, for node22.
    target: 'node20',
    packages: 'external',
    // lib/core/errors.ts names errors after their class (new.target.name).
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const missing = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || builtins.has(imported.path)) continue;
      const name = imported.path.startsWith('@')
        ? imported.path.split('/').slice(0, 2).join('/')
        : imported.path.split('/')[0]!;
      if (!(name in pkg.dependencies)) missing.add(name);
    }
  }
  if (missing.size > 0) {
    throw new Error(
      `dist imports ${[...missing].join(', ')}, not in package.json dependencies: an installed Sluice would not find them`,
    );
  }
}

async function buildTypes(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`tsc -p tsconfig.build.json: exit ${code}`)),
    );
  });
  for (const file of await declarationFiles(join(DIST, 'types'))) {
    const text = await readFile(file, 'utf8');
    const rewritten = text.replace(
      /(from\s+|import\()(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g,
      (whole, lead: string, quote: string, specifier: string) => {
        const target = resolve(dirname(file), specifier);
        if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${specifier}.js${quote}`;
        if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${specifier}/index.js${quote}`;
        return whole;
      },
    );
    if (rewritten !== text) await writeFile(file, rewritten);
  }
}

async function declarationFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.d.ts')).map((e) => join(e.parentPath, e.name));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildPackage();
  console.log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
