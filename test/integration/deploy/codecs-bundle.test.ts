/**
 * The compression codecs survive esbuild as serverless.yml configures it for Lambda (one ESM
 * file, minified, platform node): bundled alone and run by a fresh Node process in a folder with
 * no node_modules, every codec round-trips (the zstd WebAssembly is inlined, nothing is read
 * from disk).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { expect, it, onTestFinished } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');

it('bundles with esbuild into one file that compresses and decompresses with every codec', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-codecs-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { BYTE_CODECS } from ${JSON.stringify(join(REPO, 'lib/kafka/codecs.ts'))};
const data = Buffer.from('sluice '.repeat(20000));
const out = {};
for (const [name, codec] of Object.entries(BYTE_CODECS)) {
  const compressed = await codec.compress(data);
  out[name] = compressed.length < data.length && codec.decompress(compressed).equals(data);
}
console.log(JSON.stringify(out));
`,
  );
  const outfile = join(dir, 'out', 'bundle.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    keepNames: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    absWorkingDir: REPO,
    // kafkajs is CommonJS: as in serverless.yml, give the ESM bundle a require().
    banner: {
      js: "import { createRequire as __sluiceCreateRequire } from 'node:module'; const require = __sluiceCreateRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const printed = execFileSync(process.execPath, [outfile], { cwd: join(dir, 'out'), encoding: 'utf8' });
  expect(JSON.parse(printed)).toEqual({ snappy: true, lz4: true, zstd: true });
});
