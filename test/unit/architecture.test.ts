/**
 * The layout of DESIGN.md section 2, as a test: what ships in a Lambda (`lib/`) imports downward
 * only, never the tools, `infra/` or `bench/`; only the Kafka adapter knows kafkajs; user
 * functions import the shipping code only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** lib's folders from the bottom up: each may import its own and those before it. */
const LAYERS = [
  'core',
  'registry',
  'event',
  'state',
  'kafka',
  'store',
  'sink',
  'checkpoint',
  'lambda',
  'testing',
];

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return filesUnder(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module a file imports (static, dynamic and type imports), resolved to a repo path or a package. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((spec) =>
    spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec,
  );
}

function layerOf(path: string): number {
  const folder = path.split('/')[1] ?? '';
  return folder.endsWith('.ts') ? LAYERS.length : LAYERS.indexOf(folder);
}

it('lib/ imports downward only, and never tools/, infra/, bench/ or test/', () => {
  const violations: string[] = [];
  for (const file of filesUnder('lib')) {
    for (const target of importsOf(file)) {
      if (/^(tools|infra|bench|test|functions)\//.test(target)) violations.push(`${file} -> ${target}`);
      else if (target.startsWith('lib/') && layerOf(target) > layerOf(file))
        violations.push(`${file} -> ${target} (up: ${target.split('/')[1]} is above ${file.split('/')[1]})`);
    }
  }
  expect(violations).toEqual([]);
});

it('every lib/ folder is a known layer', () => {
  const folders = readdirSync(join(ROOT, 'lib')).filter((name) =>
    statSync(join(ROOT, 'lib', name)).isDirectory(),
  );
  expect(folders.filter((folder) => !LAYERS.includes(folder))).toEqual([]);
});

it('only lib/kafka imports kafkajs', () => {
  const importers = ['lib', 'tools', 'functions']
    .flatMap(filesUnder)
    .filter((file) => importsOf(file).includes('kafkajs') && !file.startsWith('lib/kafka/'));
  expect(importers).toEqual([]);
});

it('nothing outside lib/kafka reaches through the adapter to the raw client (`.kafkajs`)', () => {
  const users = ['lib', 'tools', 'functions']
    .flatMap(filesUnder)
    .filter((file) => !file.startsWith('lib/kafka/'))
    .filter((file) => /\.kafkajs\b/.test(readFileSync(join(ROOT, file), 'utf8')));
  expect(users).toEqual([]);
});

it('user functions import the shipping code only', () => {
  const violations = filesUnder('functions').flatMap((file) =>
    importsOf(file)
      .filter((target) => /^(tools|infra|bench|test)\//.test(target))
      .map((target) => `${file} -> ${target}`),
  );
  expect(violations).toEqual([]);
});
