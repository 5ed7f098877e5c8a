import { ConfigError } from '../../lib/core/errors';
import type { StackPaths } from './paths';

export type ServiceName = 'kafka' | 'dynamodb' | 's3' | 'registry';

/** What `stackUp` needs to know about one service; each service file returns one of these. */
export interface ServiceDefinition {
  name: ServiceName;
  port: number;
  /** How clients reach it: `host:port` for Kafka, a URL for the AWS emulators. */
  endpoint: string;
  /** A real client call (describe cluster, ListTables, ListBuckets): true when it answers. */
  probe(): Promise<boolean>;
  /** Installs the software into the cache when missing (skipped when present). */
  install(paths: StackPaths): Promise<void>;
  /** Prepares fresh runtime state and returns the server command to run detached. */
  prepare(paths: StackPaths): Promise<LaunchSpec>;
  /** How long a fresh start may take before it counts as failed. */
  readyTimeoutMs: number;
  /** A short description for status output, e.g. `Apache Kafka 3.9.1 (KRaft)`. */
  description: string;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Parses a port from the environment, with a clear error for nonsense. */
export function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError(`${name} must be a TCP port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}
