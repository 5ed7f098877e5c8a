import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ConfigError } from '../../lib/core/errors';
import { HOST, type StackPaths } from './paths';
import { requireCommand, requireJava, run, withLock } from './process';
import { type LaunchSpec, portFromEnv, type ServiceDefinition } from './service';

/** 3.9.1 is the line kafkajs 2.2.4 is best tested with; 4.1.x also works (see infra/local/README). */
export const DEFAULT_KAFKA_VERSION = '3.9.1';
export const DEFAULT_KAFKA_PORT = 29092;
export const DEFAULT_KAFKA_CONTROLLER_PORT = 29093;

/** Pinned: Maven 3.8's default dependency plugin predates `copy-dependencies -DincludeScope`. */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
/** A broker start is JVM start + KRaft bootstrap: ~5-10 s on 2 cores; 90 s means something is wrong. */
const KAFKA_READY_TIMEOUT_MS = 90_000;
/** Heap sized for tests on a small machine; G1 as the broker's own scripts use. */
const JVM_OPTS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-Djava.awt.headless=true',
];

export interface KafkaOptions {
  version: string;
  port: number;
  controllerPort: number;
}

/** `SLUICE_KAFKA_VERSION`, `SLUICE_KAFKA_PORT`, `SLUICE_KAFKA_CONTROLLER_PORT`. */
export function kafkaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaOptions {
  return {
    version: env.SLUICE_KAFKA_VERSION || DEFAULT_KAFKA_VERSION,
    port: portFromEnv(env, 'SLUICE_KAFKA_PORT', DEFAULT_KAFKA_PORT),
    controllerPort: portFromEnv(env, 'SLUICE_KAFKA_CONTROLLER_PORT', DEFAULT_KAFKA_CONTROLLER_PORT),
  };
}

/** Apache Kafka, single KRaft node (broker + controller), jars from Maven Central. */
export function kafkaService(options: KafkaOptions): ServiceDefinition {
  const { version, port, controllerPort } = options;
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new ConfigError(
      `SLUICE_KAFKA_VERSION must be a release like 3.9.1, got ${JSON.stringify(version)}`,
    );
  }
  const major = Number(version.split('.')[0]);
  const endpoint = `${HOST}:${port}`;
  const libsDir = (paths: StackPaths) => join(paths.cacheDir, 'kafka', version, 'libs');

  return {
    name: 'kafka',
    port,
    endpoint,
    description: `Apache Kafka ${version} (KRaft)`,
    readyTimeoutMs: KAFKA_READY_TIMEOUT_MS,
    probe: () => probeKafka(endpoint),

    async install(paths) {
      const home = join(paths.cacheDir, 'kafka', version);
      const marker = join(home, '.installed');
      if (existsSync(marker)) return;
      requireJava(); // before a download that would be useless without it
      const mvn = requireCommand('mvn', 'Apache Maven 3.8+ (Debian: apt-get install maven)');
      await withLock(`${home}.lock`, async () => {
        if (existsSync(marker)) return;
        await rm(home, { recursive: true, force: true });
        await mkdir(home, { recursive: true });
        const pom = join(home, 'pom.xml');
        await writeFile(pom, kafkaPom(version, major));
        await run(
          mvn,
          [
            '-B',
            '-q',
            '-f',
            pom,
            `${DEPENDENCY_PLUGIN}:copy-dependencies`,
            '-DincludeScope=runtime',
            `-DoutputDirectory=${libsDir(paths)}`,
          ],
          {
            logFile: join(paths.logsDir, 'kafka-install.log'),
            what: `fetching Kafka ${version} jars with Maven`,
          },
        );
        await writeFile(marker, `${new Date().toISOString()}\n`);
      });
    },

    async prepare(paths) {
      const java = requireJava();
      const dir = join(paths.stackDir, 'kafka');
      // Fresh data on every start, like the in-memory DynamoDB and S3: no topics left over from
      // earlier runs slow the start or leak into tests.
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(dir, 'data'), { recursive: true });
      const config = join(dir, 'server.properties');
      await writeFile(config, serverProperties({ port, controllerPort, dataDir: join(dir, 'data') }));
      const logging =
        major >= 4
          ? await writeConfig(join(dir, 'log4j2.properties'), LOG4J2, '-Dlog4j2.configurationFile=')
          : await writeConfig(join(dir, 'log4j.properties'), LOG4J1, '-Dlog4j.configuration=file:');
      const classpath = ['-cp', `${libsDir(paths)}/*`];
      await run(
        java,
        [
          ...classpath,
          logging,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId(),
          '-c',
          config,
          '--ignore-formatted',
        ],
        { logFile: join(paths.logsDir, 'kafka.log'), what: `formatting the Kafka ${version} storage` },
      );
      return {
        command: java,
        args: [...JVM_OPTS, logging, ...classpath, 'kafka.Kafka', config],
      } satisfies LaunchSpec;
    },
  };
}

/** True when a broker answers a describe-cluster request at `brokers` (`host:port`, or a list). */
export async function probeKafka(brokers: string | string[]): Promise<boolean> {
  const admin = new Kafka({
    brokers: typeof brokers === 'string' ? brokers.split(',').map((b) => b.trim()) : brokers,
    clientId: 'sluice-stack-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Only kafka_2.13 needs listing (its POM brings the broker's runtime jars); the logging backend
 * is not in it: 3.x needs log4j 1 classes (reload4j), 4.x logs through log4j 2.
 */
function kafkaPom(version: string, major: number): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  const logging =
    major >= 4
      ? [
          dep('org.apache.logging.log4j', 'log4j-core', '2.24.3'),
          dep('org.apache.logging.log4j', 'log4j-slf4j-impl', '2.24.3'),
        ]
      : [dep('ch.qos.reload4j', 'reload4j', '1.2.25'), dep('org.slf4j', 'slf4j-reload4j', '1.7.36')];
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.sluice.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${[dep('org.apache.kafka', 'kafka_2.13', version), ...logging].join('\n')}
  </dependencies>
</project>
`;
}

function serverProperties(o: { port: number; controllerPort: number; dataDir: string }): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${o.controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${o.dataDir}`,
    // One broker: internal topics must not ask for replicas that cannot exist, or the group and
    // transaction coordinators never come up (transactions hang on COORDINATOR_NOT_AVAILABLE).
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Faster tests: one partition per internal topic to load, no wait before the first rebalance.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    'auto.create.topics.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
  ].join('\n')}\n`;
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what `random-uuid` prints). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function writeConfig(file: string, text: string, flag: string): Promise<string> {
  await writeFile(file, text);
  return `${flag}${file}`;
}

const LOG4J1 = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
`;

const LOG4J2 = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
`;
