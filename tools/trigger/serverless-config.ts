/**
 * Reads the functions and their `msk` / `kafka` events from `serverless.yml` (Serverless v3
 * syntax, as osls packages it), plus the error-handling controls osls's event schema has no room
 * for, under `custom.sluice.functions.<function>`:
 *
 * ```yaml
 * functions:
 *   wordCount:
 *     handler: functions/word-count.handler
 *     events:
 *       - msk: { arn: ${param:mskArn}, topic: test, batchSize: 100, startingPosition: TRIM_HORIZON }
 * custom:
 *   sluice:
 *     functions:
 *       wordCount: { maximumRetryAttempts: 3, bisectBatchOnFunctionError: true, onFailureTopic: test-dlt }
 * ```
 *
 * The MSK `arn` and the `kafka` event's `bootstrapServers`/`accessConfigurations` are not used
 * locally: the emulator reads the brokers from SLUICE_KAFKA_BROKERS.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, messageOf } from '../../lib/core/errors';
import { CLOUDFORMATION_TAGS } from './cloudformation-tags';
import { coerceLikeOsls } from './osls-coerce';
import { parseKafkaEvents, SLUICE_FUNCTION_KEYS } from './serverless-events';
import { DEFAULT_TIMEOUT_S, show, type TriggerSettings } from './settings';
import { isUnresolved, resolveVariables } from './variables';

export { SLUICE_FUNCTION_KEYS } from './serverless-events';

export interface ServerlessConfig {
  service: string;
  stage: string;
  region: string;
  /** Directory of serverless.yml: handler paths are relative to it. */
  dir: string;
  /** Functions with at least one enabled `msk` or `kafka` event. */
  functions: ServerlessFunction[];
  /** The `custom.esbuild` settings that change what a bundle contains. */
  esbuild: { external: string[]; format: 'cjs' | 'esm' };
  /** Things that work differently locally; print them at start. */
  warnings: string[];
}

export interface ServerlessFunction {
  /** The key under `functions:`. */
  name: string;
  /** The deployed Lambda name: `name:` or `<service>-<stage>-<key>`. */
  lambdaName: string;
  /** `functions/word-count.handler` → module `functions/word-count`, export `handler`. */
  handler: { module: string; export: string };
  /** `provider.environment` then the function's own, resolved; unresolvable ones are left out. */
  environment: Record<string, string>;
  timeoutMs: number;
  /** `reservedConcurrency`: at most this many invocations at once, across partitions. */
  maxConcurrency?: number;
  triggers: TriggerSettings[];
}

export interface ServerlessConfigOptions {
  /** For `${env:...}` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Default: `provider.stage`, else `dev` (as the Serverless Framework). */
  stage?: string;
  region?: string;
  /** Directory handler paths are relative to (default: the file's directory, or cwd). */
  dir?: string;
}

/** Reads and parses a serverless.yml file. */
export async function loadServerlessConfig(
  file: string,
  options: ServerlessConfigOptions = {},
): Promise<ServerlessConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${messageOf(error)}`);
  }
  return parseServerlessConfig(text, { dir: dirname(resolve(file)), ...options });
}

/**
 * Parses serverless.yml text: functions, their Kafka events with Lambda's defaults, and the
 * `custom.sluice.functions` error controls. Validates once, naming the key of any problem.
 *
 * @throws {ConfigError}
 * @example
 * const config = parseServerlessConfig(await readFile('serverless.yml', 'utf8'), { dir: process.cwd() });
 * for (const fn of config.functions) console.log(fn.name, fn.triggers.map((t) => t.topic));
 */
export function parseServerlessConfig(text: string, options: ServerlessConfigOptions = {}): ServerlessConfig {
  let raw: unknown;
  try {
    raw = parse(text, { customTags: CLOUDFORMATION_TAGS });
  } catch (error) {
    throw new ConfigError(`serverless.yml is not valid YAML: ${messageOf(error)}`);
  }
  if (!isObject(raw))
    throw new ConfigError('serverless.yml must be a mapping with service, provider and functions');
  const env = options.env ?? process.env;
  const provider = isObject(raw.provider) ? raw.provider : {};
  // provider.stage is often `${opt:stage, 'dev'}`: resolved like any value (no --stage: its default).
  const declaredStage = resolveVariables(provider.stage, {
    env,
    stage: 'dev',
    region: 'us-east-1',
    self: raw,
  });
  const stage = options.stage ?? (typeof declaredStage === 'string' ? declaredStage : 'dev');
  const region = options.region ?? (typeof provider.region === 'string' ? provider.region : 'us-east-1');
  const config = resolveVariables(raw, { env, stage, region, self: raw }) as Record<string, unknown>;
  const warnings: string[] = [];

  const serviceValue = isObject(config.service) ? config.service.name : config.service;
  if (typeof serviceValue !== 'string' || serviceValue === '' || isUnresolved(serviceValue)) {
    throw new ConfigError(`service must be a name, got ${show(serviceValue)}`);
  }
  const resolvedProvider = isObject(config.provider) ? config.provider : {};
  const functionsNode = config.functions ?? {};
  if (!isObject(functionsNode)) throw new ConfigError('functions must be a mapping of function names');

  const custom = isObject(config.custom) ? config.custom : {};
  const sluice = isObject(custom.sluice) ? custom.sluice : {};
  const controls = sluice.functions ?? {};
  if (!isObject(controls))
    throw new ConfigError('custom.sluice.functions must be a mapping of function names');
  for (const [name, value] of Object.entries(controls)) {
    if (!(name in functionsNode)) {
      throw new ConfigError(
        `custom.sluice.functions.${name}: no function "${name}" under functions (have: ${Object.keys(functionsNode).join(', ') || 'none'})`,
      );
    }
    if (!isObject(value)) throw new ConfigError(`custom.sluice.functions.${name} must be a mapping`);
    for (const key of Object.keys(value)) {
      if (!(SLUICE_FUNCTION_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError(
          `custom.sluice.functions.${name}.${key} is not a Sluice setting; allowed: ${SLUICE_FUNCTION_KEYS.join(', ')}`,
        );
      }
    }
  }

  const functions: ServerlessFunction[] = [];
  for (const [name, node] of Object.entries(functionsNode)) {
    const where = `functions.${name}`;
    if (!isObject(node)) throw new ConfigError(`${where} must be a mapping with handler and events`);
    const fnControls = (controls[name] ?? {}) as Record<string, unknown>;
    const triggers = parseKafkaEvents(name, node, fnControls, region, warnings);
    if (triggers.length === 0) continue;
    const reserved = coerceLikeOsls(node.reservedConcurrency, 'integer');
    if (
      reserved !== undefined &&
      (typeof reserved !== 'number' || !Number.isInteger(reserved) || reserved < 0)
    ) {
      throw new ConfigError(`${where}.reservedConcurrency must be a whole number, got ${show(reserved)}`);
    }
    if (reserved === 0) {
      warnings.push(
        `${where}: reservedConcurrency is 0, so Lambda never invokes it; the emulator skips it too`,
      );
      continue;
    }
    const fn: ServerlessFunction = {
      name,
      lambdaName:
        typeof node.name === 'string' && !isUnresolved(node.name)
          ? node.name
          : `${serviceValue}-${stage}-${name}`,
      handler: parseHandler(node.handler, `${where}.handler`),
      environment: {
        ...environment(resolvedProvider.environment, 'provider.environment', warnings),
        ...environment(node.environment, `${where}.environment`, warnings),
      },
      timeoutMs:
        timeout(
          coerceLikeOsls(node.timeout ?? resolvedProvider.timeout, 'integer'),
          node.timeout === undefined ? 'provider.timeout' : `${where}.timeout`,
        ) * 1000,
      triggers,
    };
    if (typeof reserved === 'number') fn.maxConcurrency = reserved;
    functions.push(fn);
  }

  const groups = new Map<string, string>();
  for (const fn of functions) {
    for (const trigger of fn.triggers) {
      const other = groups.get(trigger.consumerGroupId);
      if (other !== undefined) {
        throw new ConfigError(
          `consumer group "${trigger.consumerGroupId}" is used by ${other} and ${fn.name}/${trigger.topic}: ` +
            'Lambda requires a unique consumerGroupId per Kafka event source; set a different consumerGroupId',
        );
      }
      groups.set(trigger.consumerGroupId, `${fn.name}/${trigger.topic}`);
    }
  }

  return {
    service: serviceValue,
    stage,
    region,
    dir: options.dir ?? process.cwd(),
    functions,
    esbuild: esbuildSettings(custom.esbuild),
    warnings,
  };
}

function parseHandler(value: unknown, where: string): { module: string; export: string } {
  const match = typeof value === 'string' ? /^(.+)\.([A-Za-z_$][\w$]*)$/.exec(value) : null;
  if (!match) {
    throw new ConfigError(
      `${where} must be <path>.<export> like functions/word-count.handler, got ${show(value)}`,
    );
  }
  return { module: match[1]!, export: match[2]! };
}

function environment(value: unknown, where: string, warnings: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ConfigError(`${where} must be a mapping of variable names to values`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (
      (typeof item === 'string' && !isUnresolved(item)) ||
      typeof item === 'number' ||
      typeof item === 'boolean'
    ) {
      out[key] = String(item);
    } else {
      warnings.push(
        `${where}.${key} (${show(item)}) cannot be resolved locally: left unset (set it in your shell)`,
      );
    }
  }
  return out;
}

function timeout(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_TIMEOUT_S;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 900) {
    throw new ConfigError(`${where} must be whole seconds from 1 to 900, got ${show(value)}`);
  }
  return value;
}

function esbuildSettings(value: unknown): ServerlessConfig['esbuild'] {
  const node = isObject(value) ? value : {};
  const list = (key: string): string[] => {
    const items = node[key] ?? [];
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw new ConfigError(`custom.esbuild.${key} must be a list of package names`);
    }
    return items;
  };
  const format = node.format ?? 'cjs';
  if (format !== 'cjs' && format !== 'esm') {
    throw new ConfigError(`custom.esbuild.format must be cjs or esm, got ${show(format)}`);
  }
  return { external: [...list('external'), ...list('exclude')], format };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
