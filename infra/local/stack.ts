import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../../lib/core/errors';
import { dynamoDbOptionsFromEnv, dynamoDbService } from './dynamodb';
import { kafkaOptionsFromEnv, kafkaService } from './kafka';
import { type StackPaths, stackPaths } from './paths';
import { commandLine, isAlive, StackError, spawnDetached, stopProcess, tail, withLock } from './process';
import { registryOptionsFromEnv, registryService } from './registry';
import { s3OptionsFromEnv, s3Service } from './s3';
import type { ServiceDefinition, ServiceName } from './service';

export { StackError } from './process';
export type { ServiceName } from './service';

export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'dynamodb', 's3', 'registry'];
/**
 * What `up` and `status` mean without `--only`: the schema registry (Apicurio, a Quarkus build on
 * first install) is started only when asked for, by the integration tests or `--only registry`.
 */
export const DEFAULT_SERVICES: readonly ServiceName[] = ['kafka', 'dynamodb', 's3'];

export interface StackOptions {
  /** Where ports, versions and directories are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Which services (default DEFAULT_SERVICES for up and status, all for down). */
  services?: readonly ServiceName[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The variables clients read to reach the stack (standard AWS SDK endpoint variables). */
export interface StackEndpoints {
  SLUICE_KAFKA_BROKERS: string;
  AWS_ENDPOINT_URL_DYNAMODB: string;
  AWS_ENDPOINT_URL_S3: string;
  /** a Confluent-compatible schema registry (Apicurio's ccompat API) */
  SCHEMA_REGISTRY_URL: string;
}

export interface ServiceStatus {
  name: ServiceName;
  description: string;
  endpoint: string;
  /** A real client call answered just now. */
  running: boolean;
  /** Pid of the process this stack started (from its pid file), when it is still alive. */
  pid: number | null;
  logFile: string;
}

export interface ServiceUp extends ServiceStatus {
  /** `reused`: something already answered; `started`: this call started it. */
  action: 'reused' | 'started';
  /** Time spent in this service's install + start (0 when reused at once). */
  durationMs: number;
}

export interface StackUpResult {
  services: ServiceUp[];
  endpoints: StackEndpoints;
  durationMs: number;
}

/** Endpoints for the configured ports, whether or not the stack runs. */
export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  return {
    SLUICE_KAFKA_BROKERS: kafkaService(kafkaOptionsFromEnv(env)).endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbService(dynamoDbOptionsFromEnv(env)).endpoint,
    AWS_ENDPOINT_URL_S3: s3Service(s3OptionsFromEnv(env)).endpoint,
    SCHEMA_REGISTRY_URL: registryService(registryOptionsFromEnv(env)).endpoint,
  };
}

/**
 * Brings the stack up: reuses every service that already answers, installs (cached) and starts
 * the others detached, in parallel, and waits until each answers a real client call. Idempotent.
 * Throws a StackError naming each service that failed and its log file.
 *
 * @example
 * const { endpoints } = await stackUp({ log: console.error });
 * process.env.SLUICE_KAFKA_BROKERS = endpoints.SLUICE_KAFKA_BROKERS;
 */
export async function stackUp(options: StackOptions = {}): Promise<StackUpResult> {
  const env = options.env ?? process.env;
  const paths = stackPaths(env);
  const log = options.log ?? (() => {});
  const started = Date.now();
  const services = selected(env, options.services ?? DEFAULT_SERVICES);
  await mkdir(paths.logsDir, { recursive: true });
  const results = await Promise.allSettled(services.map((service) => upOne(service, paths, log)));
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${services[i]!.name}: ${messageOf(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    throw new StackError(
      `the local stack did not come up:\n${failures.join('\n')}\n` +
        'Fix the cause, then run `npm run stack:up` (services already up are reused).',
    );
  }
  return {
    services: results.map((result) => (result as PromiseFulfilledResult<ServiceUp>).value),
    endpoints: stackEndpoints(env),
    durationMs: Date.now() - started,
  };
}

/** Stops the services this stack started (by the pid in their pid files); leaves any other alone. */
export async function stackDown(options: StackOptions = {}): Promise<{ stopped: ServiceName[] }> {
  const env = options.env ?? process.env;
  const paths = stackPaths(env);
  const log = options.log ?? (() => {});
  const stopped: ServiceName[] = [];
  await Promise.all(
    selected(env, options.services).map(async (service) => {
      const record = await ownedProcess(paths, service.name);
      if (record) {
        log(`${service.name}: stopping pid ${record.pid}`);
        await stopProcess(record.pid);
        stopped.push(service.name);
      }
      await rm(pidFile(paths, service.name), { force: true });
    }),
  );
  return { stopped: SERVICE_NAMES.filter((name) => stopped.includes(name)) };
}

/** Probes every service with a real client call and reports what this stack manages. */
export async function stackStatus(options: StackOptions = {}): Promise<ServiceStatus[]> {
  const env = options.env ?? process.env;
  const paths = stackPaths(env);
  return Promise.all(
    selected(env, options.services ?? DEFAULT_SERVICES).map((service) => statusOf(service, paths)),
  );
}

function definitions(env: NodeJS.ProcessEnv): ServiceDefinition[] {
  return [
    kafkaService(kafkaOptionsFromEnv(env)),
    dynamoDbService(dynamoDbOptionsFromEnv(env)),
    s3Service(s3OptionsFromEnv(env)),
    registryService(registryOptionsFromEnv(env)),
  ];
}

function selected(
  env: NodeJS.ProcessEnv,
  names: readonly ServiceName[] = SERVICE_NAMES,
): ServiceDefinition[] {
  return definitions(env).filter((service) => names.includes(service.name));
}

async function statusOf(service: ServiceDefinition, paths: StackPaths): Promise<ServiceStatus> {
  const [running, record] = await Promise.all([service.probe(), ownedProcess(paths, service.name)]);
  return {
    name: service.name,
    description: service.description,
    endpoint: service.endpoint,
    running,
    pid: record?.pid ?? null,
    logFile: logFile(paths, service.name),
  };
}

async function upOne(
  service: ServiceDefinition,
  paths: StackPaths,
  log: (line: string) => void,
): Promise<ServiceUp> {
  const began = Date.now();
  const done = async (action: ServiceUp['action']): Promise<ServiceUp> => ({
    ...(await statusOf(service, paths)),
    action,
    durationMs: Date.now() - began,
  });
  if (await service.probe()) {
    log(`${service.name}: already answering on ${service.endpoint}, reused`);
    return done('reused');
  }
  log(`${service.name}: installing if needed (cache ${paths.cacheDir})`);
  await service.install(paths);
  // One starter per service at a time: two `up`s racing (two test runs) must not both launch.
  return withLock(join(paths.stackDir, `${service.name}.start.lock`), async () => {
    if (await service.probe()) return done('reused');
    const existing = await ownedProcess(paths, service.name);
    if (existing) {
      log(`${service.name}: pid ${existing.pid} is starting, waiting for it`);
      await waitReady(service, paths, () => (isAlive(existing.pid) ? null : 'it exited'));
      return done('reused');
    }
    const file = logFile(paths, service.name);
    if (existsSync(file)) await rename(file, `${file}.previous`);
    const launch = await service.prepare(paths);
    const child = spawnDetached(launch.command, launch.args, {
      logFile: file,
      cwd: launch.cwd,
      env: launch.env,
    });
    const record: PidRecord = {
      pid: child.pid,
      args: launch.args.join(' '),
      endpoint: service.endpoint,
      startedAt: new Date().toISOString(),
    };
    await writeFile(pidFile(paths, service.name), `${JSON.stringify(record)}\n`);
    log(`${service.name}: started pid ${child.pid}, waiting for ${service.endpoint} (log ${file})`);
    try {
      await waitReady(service, paths, child.exited);
    } catch (error) {
      await stopProcess(child.pid, 5_000);
      await rm(pidFile(paths, service.name), { force: true });
      throw error;
    }
    log(`${service.name}: ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return done('started');
  });
}

/** Polls the real client probe until it answers; fails at once if the process died. */
async function waitReady(
  service: ServiceDefinition,
  paths: StackPaths,
  exited: () => string | null,
): Promise<void> {
  const deadline = Date.now() + service.readyTimeoutMs;
  const file = logFile(paths, service.name);
  for (;;) {
    if (await service.probe()) return;
    const exit = exited();
    if (exit !== null) {
      throw new StackError(
        `${service.description} stopped during start (${exit}); see ${file}:\n${tail(file)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${service.description} did not answer on ${service.endpoint} within ${service.readyTimeoutMs / 1000} s; ` +
          `see ${file}:\n${tail(file)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface PidRecord {
  pid: number;
  /** The server's arguments, to recognise the process (a pid can be reused after a reboot). */
  args: string;
  endpoint: string;
  startedAt: string;
}

/** The pid record of a service this stack started, if that very process is still alive. */
async function ownedProcess(paths: StackPaths, name: ServiceName): Promise<PidRecord | null> {
  let record: PidRecord;
  try {
    record = JSON.parse(await readFile(pidFile(paths, name), 'utf8')) as PidRecord;
  } catch {
    return null;
  }
  if (!Number.isInteger(record.pid) || !isAlive(record.pid)) return null;
  const cmdline = commandLine(record.pid);
  return cmdline === null || cmdline.includes(record.args) ? record : null;
}

const pidFile = (paths: StackPaths, name: ServiceName) => join(paths.stackDir, `${name}.pid`);
const logFile = (paths: StackPaths, name: ServiceName) => join(paths.logsDir, `${name}.log`);
