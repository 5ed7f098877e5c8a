import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { HOST } from './paths';
import { requireCommand, run, withLock } from './process';
import { portFromEnv, type ServiceDefinition } from './service';

export const DEFAULT_S3_PORT = 25000;
/** Pinned: 5.2.x implements S3 conditional writes (If-None-Match / If-Match) the store relies on. */
export const MOTO_VERSION = '5.2.5';
/** moto imports boto and Flask at start (~2-4 s); 60 s leaves room for a loaded CI machine. */
const S3_READY_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 2_000;

export interface S3Options {
  port: number;
}

/** `SLUICE_S3_PORT`. */
export function s3OptionsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Options {
  return { port: portFromEnv(env, 'SLUICE_S3_PORT', DEFAULT_S3_PORT) };
}

/** moto's S3 server (PyPI `moto[server]`) in a venv under the cache dir; state in memory. */
export function s3Service(options: S3Options): ServiceDefinition {
  const endpoint = `http://${HOST}:${options.port}`;
  const venv = (cacheDir: string) => join(cacheDir, `moto-${MOTO_VERSION}`);
  return {
    name: 's3',
    port: options.port,
    endpoint,
    description: `moto ${MOTO_VERSION} (S3, in memory)`,
    readyTimeoutMs: S3_READY_TIMEOUT_MS,
    probe: () => probeS3(endpoint),

    async install(paths) {
      const dir = venv(paths.cacheDir);
      // A venv is not relocatable (its scripts hold absolute paths): build it in place, and mark
      // it complete only after pip succeeded.
      const marker = join(dir, '.installed');
      if (existsSync(marker)) return;
      const python = requireCommand(
        'python3',
        'Python 3.9+ with venv (Debian: apt-get install python3-venv)',
      );
      const logFile = join(paths.logsDir, 's3-install.log');
      await withLock(`${dir}.lock`, async () => {
        if (existsSync(marker)) return;
        await rm(dir, { recursive: true, force: true });
        await run(python, ['-m', 'venv', dir], {
          logFile,
          what: 'creating the moto virtualenv (Debian: apt-get install python3-venv)',
        });
        await run(
          join(dir, 'bin', 'pip'),
          ['install', '--disable-pip-version-check', '--no-input', '-q', `moto[server]==${MOTO_VERSION}`],
          { logFile, what: `pip install moto[server]==${MOTO_VERSION}` },
        );
        await writeFile(marker, `${new Date().toISOString()}\n`);
      });
    },

    async prepare(paths) {
      return {
        command: join(venv(paths.cacheDir), 'bin', 'moto_server'),
        args: ['-H', HOST, '-p', String(options.port)],
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      };
    },
  };
}

/** True when an S3 endpoint answers ListBuckets. */
export async function probeS3(endpoint: string): Promise<boolean> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}
