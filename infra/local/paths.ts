import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every service listens on loopback only: the stack is for this machine's tests and tools. */
export const HOST = '127.0.0.1';

/** The repository root (this file lives in `<repo>/infra/local/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StackPaths {
  /** Downloaded software shared by every clone on the machine: Kafka jars, the moto venv. */
  cacheDir: string;
  /** Runtime state of this clone's stack: pid files, data dirs, configs. Gitignored. */
  stackDir: string;
  /** One log file per service: `<stackDir>/logs/<service>.log`. */
  logsDir: string;
}

/**
 * Where things live. `SLUICE_CACHE_DIR` (default `~/.cache/sluice`, or `$XDG_CACHE_HOME/sluice`) holds
 * installs reused across clones; `SLUICE_STACK_DIR` (default `<repo>/.sluice/stack`) holds runtime state.
 */
export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const cacheDir = resolve(
    env.SLUICE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sluice'),
  );
  const stackDir = resolve(env.SLUICE_STACK_DIR || join(REPO_ROOT, '.sluice', 'stack'));
  return { cacheDir, stackDir, logsDir: join(stackDir, 'logs') };
}
