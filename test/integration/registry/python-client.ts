import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stackPaths } from '../../../infra/local/paths';
import { requireCommand, run, withLock } from '../../../infra/local/process';

/** Confluent's Python client with its schema-registry serialisers (Avro: fastavro; Protobuf: protobuf). */
export const CONFLUENT_KAFKA_VERSION = '2.16.1';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'confluent_io.py');

/** A venv with confluent-kafka from PyPI under the stack's cache dir, installed once. */
export async function ensureConfluentKafkaPython(): Promise<string> {
  const paths = stackPaths(process.env);
  const dir = join(paths.cacheDir, `confluent-kafka-${CONFLUENT_KAFKA_VERSION}`);
  const python = join(dir, 'bin', 'python');
  const marker = join(dir, '.installed');
  if (existsSync(marker)) return python;
  const system = requireCommand('python3', 'Python 3.9+ with venv (Debian: apt-get install python3-venv)');
  const logFile = join(paths.logsDir, 'confluent-kafka-install.log');
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(marker)) return;
    await rm(dir, { recursive: true, force: true });
    await run(system, ['-m', 'venv', dir], { logFile, what: 'creating the confluent-kafka virtualenv' });
    await run(
      join(dir, 'bin', 'pip'),
      [
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '-q',
        `confluent-kafka[avro,protobuf,schemaregistry]==${CONFLUENT_KAFKA_VERSION}`,
      ],
      { logFile, what: `pip install confluent-kafka==${CONFLUENT_KAFKA_VERSION}` },
    );
    await writeFile(marker, `${new Date().toISOString()}\n`);
  });
  return python;
}

const exec = promisify(execFile);

/** Runs confluent_io.py; returns its stdout lines parsed as JSON. */
export async function confluentIo(
  python: string,
  args: ['produce' | 'consume', 'avro' | 'protobuf', string, number],
  env: { SLUICE_KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string },
): Promise<unknown[]> {
  const { stdout } = await exec(python, [SCRIPT, ...args.map(String)], {
    env: { PATH: process.env.PATH, ...env },
    timeout: 90_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
