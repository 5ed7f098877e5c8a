import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { SluiceError } from '../../lib/core/errors';

/** A local stack problem: missing prerequisite, failed install, service that did not start. */
export class StackError extends SluiceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('STACK_UNAVAILABLE', message, options);
  }
}

/** The absolute path of an executable on PATH, or null. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** Java from `$JAVA_HOME/bin/java`, else PATH; a clear error when neither has it. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME) {
    const java = join(env.JAVA_HOME, 'bin', 'java');
    try {
      accessSync(java, constants.X_OK);
      return java;
    } catch {}
  }
  return requireCommand('java', 'a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)', env);
}

/** `name` from PATH, or a StackError saying what to install. */
export function requireCommand(name: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const found = findExecutable(name, env);
  if (!found) throw new StackError(`\`${name}\` was not found on PATH: install ${what}, then retry`);
  return found;
}

/** The last `lines` lines of a file (empty when it does not exist). */
export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs a command to completion with stdout and stderr appended to `logFile`. Rejects with the
 * log's tail when it exits non-zero.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv; what: string },
): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  writeFileSync(fd, `\n$ ${command} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const code = await new Promise<number | string>((resolve) => {
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  });
  if (code !== 0) {
    throw new StackError(
      `${options.what} failed (${typeof code === 'number' ? `exit code ${code}` : code}); see ${options.logFile}:\n${tail(options.logFile)}`,
    );
  }
}

export interface DetachedProcess {
  pid: number;
  /** The exit code or signal once the process has ended (observed while this process lives). */
  exited(): string | null;
}

/**
 * Starts a long-running server that outlives this process: its own process group (so it can be
 * stopped as a whole), no stdin, stdout and stderr appended to `logFile`.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): DetachedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  writeFileSync(fd, `\n$ ${command} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let exit: string | null = null;
  child.on('error', (error) => {
    exit = error.message;
  });
  child.on('exit', (code, signal) => {
    exit = code !== null ? `exit code ${code}` : `signal ${signal}`;
  });
  child.unref();
  if (child.pid === undefined) throw new StackError(`could not start ${command}; see ${options.logFile}`);
  return { pid: child.pid, exited: () => exit };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process (Linux /proc), or null when unknown. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/**
 * Stops a process started by `spawnDetached`: SIGTERM to its process group (the pid leads it),
 * then SIGKILL if it is still there after `graceMs`.
 */
export async function stopProcess(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const stopped = await poll(() => !isAlive(pid), graceMs);
  if (!stopped) {
    signal('SIGKILL');
    await poll(() => !isAlive(pid), 5_000);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns true; false once `timeoutMs` has passed. */
export async function poll(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Runs `fn` holding a cross-process lock (an atomic `mkdir`). A lock whose owner died is taken
 * over, so a crashed install never blocks the next one.
 */
export async function withLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  await mkdir(dirname(lockDir), { recursive: true });
  const ownerFile = join(lockDir, 'owner');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(ownerFile, 'utf8').catch(() => ''));
      if (owner && !isAlive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(`timed out waiting for lock ${lockDir} (held by pid ${owner})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/** Runs a command to completion, capturing its output (no shell). */
export function capture(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}
