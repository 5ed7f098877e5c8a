import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Scratch space of benchmarks: under `.sluice/` (gitignored, not linted). */
export function workDir(...parts: string[]): string {
  const dir = join(REPO_ROOT, '.sluice', 'bench', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
