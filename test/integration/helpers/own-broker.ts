/**
 * A Kafka broker of its own for a test that kills it: started from the stack's installed jars
 * (infra/local/kafka.ts) on the stack's Kafka ports + OWN_BROKER_PORT_OFFSET, with a fresh data
 * dir under the stack dir. `kill()` SIGKILLs the pid it started; `restart()` starts it again on
 * the same ports and log dirs, so its data (topics, transactions, group offsets) survives.
 */
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaOptionsFromEnv, kafkaService } from '../../../infra/local/kafka';
import { stackPaths } from '../../../infra/local/paths';
import { isAlive, poll, spawnDetached, tail } from '../../../infra/local/process';
import { waitFor } from './wait-for';

/**
 * From the configured stack ports (SLUICE_KAFKA_PORT, SLUICE_KAFKA_CONTROLLER_PORT): 29099/29100
 * beside the default stack, 59099/59100 beside a stack on 59092. Never the stack's own ports.
 */
export const OWN_BROKER_PORT_OFFSET = 7;
/** A KRaft node start (JVM, log recovery after SIGKILL, registration) takes ~3-6 s here. */
const START_TIMEOUT_MS = 60_000;
/**
 * After a SIGKILL the restarted node's registration is refused (DUPLICATE_BROKER_REGISTRATION)
 * until the dead incarnation's session expires: 9 s by default, which made each restart ~15 s.
 * A short session (heartbeats must be more frequent than it) keeps the test well under a minute.
 */
const SESSION_OVERRIDES = ['broker.session.timeout.ms=2000', 'broker.heartbeat.interval.ms=500'];

export interface OwnBroker {
  endpoint: string;
  logFile: string;
  /** SIGKILL to the process (group) this helper started; resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data; resolves once it answers. */
  restart(): Promise<void>;
  /** Kills it (if running) and deletes its data. */
  stop(): Promise<void>;
}

export async function startOwnBroker(env: NodeJS.ProcessEnv = process.env): Promise<OwnBroker> {
  const base = kafkaOptionsFromEnv(env);
  const service = kafkaService({
    ...base,
    port: base.port + OWN_BROKER_PORT_OFFSET,
    controllerPort: base.controllerPort + OWN_BROKER_PORT_OFFSET,
  });
  if (await service.probe()) {
    throw new Error(
      `a broker already answers on ${service.endpoint}, the port of this test's own broker ` +
        `(SLUICE_KAFKA_PORT + ${OWN_BROKER_PORT_OFFSET}): stop it, or set SLUICE_KAFKA_PORT to move both`,
    );
  }
  const stack = stackPaths(env);
  await mkdir(stack.stackDir, { recursive: true });
  const stackDir = await mkdtemp(join(stack.stackDir, 'own-broker-'));
  const paths = { cacheDir: stack.cacheDir, stackDir, logsDir: join(stackDir, 'logs') };
  await service.install(paths);
  const launch = await service.prepare(paths); // formats a fresh data dir under stackDir only
  const config = launch.args.at(-1)!; // kafka.Kafka <server.properties>; later keys win
  await appendFile(config, `${SESSION_OVERRIDES.join('\n')}\n`);
  const logFile = join(paths.logsDir, 'kafka.log');
  let pid: number | null = null;
  let stopped = false;

  const killNow = () => {
    if (pid === null) return;
    try {
      process.kill(-pid, 'SIGKILL'); // its process group: the JVM leads it
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  };
  // If the test process dies first, the broker must not outlive it.
  process.on('exit', killNow);

  const start = async () => {
    // A test that failed half-way may still try a restart after afterAll stopped the broker.
    if (stopped) throw new Error(`own broker on ${service.endpoint} was stopped`);
    const child = spawnDetached(launch.command, launch.args, { logFile, cwd: launch.cwd, env: launch.env });
    pid = child.pid;
    await waitFor(
      async () => {
        const exited = child.exited();
        if (exited) throw new Error(`the broker exited (${exited}): ${tail(logFile, 15)}`);
        return service.probe();
      },
      {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 200,
        message: `own broker on ${service.endpoint} did not start`,
      },
    );
  };
  const kill = async () => {
    const dying = pid;
    killNow();
    pid = null;
    if (dying !== null && !(await poll(() => !isAlive(dying), 10_000))) {
      throw new Error(`own broker pid ${dying} survived SIGKILL`);
    }
  };

  try {
    await start();
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    endpoint: service.endpoint,
    logFile,
    kill,
    restart: start,
    async stop() {
      stopped = true;
      await kill();
      process.off('exit', killNow);
      await rm(stackDir, { recursive: true, force: true });
    },
  };
}
