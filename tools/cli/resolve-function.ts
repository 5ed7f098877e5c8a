import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../lib/core/errors';
import type { KafkaHandler } from '../../lib/lambda/handler';
import { loadServerlessConfig } from '../trigger/serverless-config';

/** Where a function's handler lives. */
export interface FunctionEntry {
  /** the key under `functions:` (or the module path given) */
  name: string;
  /** the module file, absolute */
  file: string;
  /** the export holding the handler */
  exportName: string;
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * Finds a function by its serverless.yml name, through the same parser as the trigger
 * emulator (`handler: functions/word-count.handler` → `functions/word-count.ts`, export
 * `handler`), or by a module path such as `functions/word-count.ts`.
 */
export async function resolveFunction(
  nameOrPath: string,
  configPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FunctionEntry> {
  const root = resolve(configPath, '..');
  const asPath = resolve(root, nameOrPath);
  if (/\.[mc]?[jt]s$/.test(nameOrPath) && existsSync(asPath)) {
    return { name: nameOrPath, file: asPath, exportName: 'handler' };
  }
  if (!existsSync(configPath)) {
    throw new ConfigError(
      `no ${relative(process.cwd(), configPath) || configPath} to find "${nameOrPath}" in: run from the project root, ` +
        'pass --config <serverless.yml>, or give a module path such as functions/word-count.ts',
    );
  }
  const config = await loadServerlessConfig(configPath, { env });
  const fn = config.functions.find((f) => f.name === nameOrPath);
  if (!fn) {
    const known = config.functions.map((f) => f.name);
    throw new ConfigError(
      `no function "${nameOrPath}" with a Kafka event in ${relative(process.cwd(), configPath) || configPath}` +
        (known.length > 0 ? `: choose one of ${known.join(', ')}` : '') +
        ', or give a module path such as functions/word-count.ts',
    );
  }
  const base = resolve(config.dir, fn.handler.module);
  const file = EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate));
  if (!file) {
    throw new ConfigError(
      `functions.${fn.name}.handler: none of ${EXTENSIONS.map((e) => base + e).join(', ')} exists`,
    );
  }
  return { name: fn.name, file, exportName: fn.handler.export };
}

/** Imports the handler module (TypeScript works: the CLI runs under tsx). */
export async function loadHandler(entry: FunctionEntry): Promise<KafkaHandler> {
  const mod = (await import(pathToFileURL(entry.file).href)) as Record<string, unknown>;
  const handler = mod[entry.exportName] as KafkaHandler | undefined;
  if (typeof handler !== 'function' || typeof handler.definition !== 'object') {
    throw new ConfigError(`${entry.file} does not export "${entry.exportName}" made by defineFunction`);
  }
  return handler;
}
