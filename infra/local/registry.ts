import { existsSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST, REPO_ROOT } from './paths';
import { requireCommand, requireJava, run, withLock } from './process';
import { portFromEnv, type ServiceDefinition } from './service';

export const DEFAULT_SCHEMA_REGISTRY_PORT = 28081;
export const APICURIO_VERSION = '2.4.2.Final';
/** Where the Confluent-compatible API lives on an Apicurio Registry. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';
/** A Quarkus start with the in-memory H2 store: ~6 s here; 120 s leaves room for a loaded CI machine. */
const REGISTRY_READY_TIMEOUT_MS = 120_000;
const PROBE_TIMEOUT_MS = 2_000;

export interface RegistryOptions {
  port: number;
}

/** `SLUICE_SCHEMA_REGISTRY_PORT`. */
export function registryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryOptions {
  return { port: portFromEnv(env, 'SLUICE_SCHEMA_REGISTRY_PORT', DEFAULT_SCHEMA_REGISTRY_PORT) };
}

/**
 * Apicurio Registry, in memory, for its Confluent-compatible API: a real registry that installs
 * from Maven Central (see infra/local/apicurio/pom.xml for how and why this version). The first
 * install runs a Quarkus build (~2-4 min with downloads); later starts reuse it.
 */
export function registryService(options: RegistryOptions): ServiceDefinition {
  const root = `http://${HOST}:${options.port}`;
  const endpoint = `${root}${CCOMPAT_PATH}`;
  const buildDir = (cacheDir: string) => join(cacheDir, `apicurio-registry-${APICURIO_VERSION}`);
  const runner = (cacheDir: string) =>
    join(buildDir(cacheDir), 'target', `sluice-apicurio-registry-${APICURIO_VERSION}-runner.jar`);
  return {
    name: 'registry',
    port: options.port,
    endpoint,
    description: `Apicurio Registry ${APICURIO_VERSION} (Confluent API, in memory)`,
    readyTimeoutMs: REGISTRY_READY_TIMEOUT_MS,
    probe: () => probeRegistry(endpoint),

    async install(paths) {
      const dir = buildDir(paths.cacheDir);
      const marker = join(dir, '.installed');
      if (existsSync(marker)) return;
      const mvn = requireCommand('mvn', 'Maven 3.8+ (Debian: apt-get install maven)');
      requireJava();
      const logFile = join(paths.logsDir, 'registry-install.log');
      await withLock(`${dir}.lock`, async () => {
        if (existsSync(marker)) return;
        await rm(dir, { recursive: true, force: true });
        await cp(join(REPO_ROOT, 'infra', 'local', 'apicurio'), dir, { recursive: true });
        await run(
          mvn,
          [
            '-B',
            '-q',
            '-f',
            join(dir, 'pom.xml'),
            'package',
            '-DskipTests',
            // the parent POM's release checks, for Apicurio's own sources
            '-Denforcer.skip=true',
            '-Dcheckstyle.skip=true',
            '-Dmaven.javadoc.skip=true',
            '-Djacoco.skip=true',
          ],
          { logFile, what: `building Apicurio Registry ${APICURIO_VERSION} from Maven Central` },
        );
        if (!existsSync(runner(paths.cacheDir))) {
          throw new Error(`the Apicurio build left no ${runner(paths.cacheDir)}; see ${logFile}`);
        }
        await writeFile(marker, `${new Date().toISOString()}\n`);
      });
    },

    async prepare(paths) {
      return {
        command: requireJava(),
        args: [
          '-Xms64m',
          '-Xmx384m',
          `-Dquarkus.http.host=${HOST}`,
          `-Dquarkus.http.port=${options.port}`,
          '-Dquarkus.profile=prod',
          '-jar',
          runner(paths.cacheDir),
        ],
        cwd: buildDir(paths.cacheDir),
      };
    },
  };
}

/** True when a Confluent-compatible registry answers GET /subjects at `url`. */
export async function probeRegistry(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
