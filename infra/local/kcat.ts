/**
 * `kcat` (librdkafka's command-line client): an independent Kafka client the tests read outputs
 * with (`-X isolation.level=read_committed`), so exactly-once is not only checked by the client
 * that wrote it. `ensureKcat()` installs it from Debian when missing and allowed.
 *
 * `tsx infra/local/kcat.ts` installs it by hand.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findExecutable, StackError } from './process';

/**
 * Returns the path of `kcat`, installing the Debian package when it is missing and this process
 * may (root and apt-get present; `SLUICE_NO_INSTALL=1` forbids it). Otherwise a StackError says
 * how to install it.
 */
export function ensureKcat(options: { log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const found = findExecutable('kcat', env);
  if (found) return found;
  const apt = findExecutable('apt-get', env);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!apt || !root || env.SLUICE_NO_INSTALL === '1') {
    throw new StackError(
      '`kcat` was not found on PATH: install it (Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y kcat`; ' +
        'macOS: `brew install kcat`), then retry',
    );
  }
  log('kcat: installing the Debian package (apt-get update && apt-get install -y kcat)');
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'kcat'],
  ]) {
    const result = spawnSync(apt, args, {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) {
      throw new StackError(
        `apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${(result.stderr || result.stdout).trim().slice(-2000)}`,
      );
    }
  }
  const installed = findExecutable('kcat', env);
  if (!installed) throw new StackError('apt-get installed kcat, but it is still not on PATH');
  return installed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(ensureKcat({ log: (line) => console.error(line) }));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
