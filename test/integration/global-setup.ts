/**
 * Vitest global setup of the `integration` project: brings the local stack up (Apache Kafka,
 * DynamoDB Local, moto S3 on 127.0.0.1), reusing whatever already answers, and hands the
 * endpoints to tests through `process.env` and `inject('sluiceStack')`.
 *
 * - Endpoint variables already set (`SLUICE_KAFKA_BROKERS`, `AWS_ENDPOINT_URL_DYNAMODB`,
 *   `AWS_ENDPOINT_URL_S3`) to something other than the stack's own address are used as they
 *   are (e.g. LocalStack or a Docker Kafka): probed, never started or stopped.
 * - Teardown (`SLUICE_STACK_TEARDOWN=keep|stop`): by default the stack is left running for the
 *   next run (a warm start is ~4 s, a reuse ~0.1 s) unless `CI` is set; then the services this
 *   setup started are stopped. A stack that was already running is never stopped.
 */
import type { TestProject } from 'vitest/node';
import { probeDynamoDb } from '../../infra/local/dynamodb';
import { probeKafka } from '../../infra/local/kafka';
import { stackPaths } from '../../infra/local/paths';
import { probeRegistry } from '../../infra/local/registry';
import { probeS3 } from '../../infra/local/s3';
import {
  type ServiceName,
  type StackEndpoints,
  stackDown,
  stackEndpoints,
  stackUp,
} from '../../infra/local/stack';
import { messageOf } from '../../lib/core/errors';

const VARIABLE: Record<ServiceName, keyof StackEndpoints> = {
  kafka: 'SLUICE_KAFKA_BROKERS',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  registry: 'SCHEMA_REGISTRY_URL',
};
const PROBE: Record<ServiceName, (endpoint: string) => Promise<boolean>> = {
  kafka: probeKafka,
  dynamodb: probeDynamoDb,
  s3: probeS3,
  registry: probeRegistry,
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  // Any credentials work locally; the SDK only needs some to sign with.
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.AWS_REGION ??= 'us-east-1';

  const own = stackEndpoints(env);
  const names = Object.keys(VARIABLE) as ServiceName[];
  const external = names.filter((name) => {
    const preset = env[VARIABLE[name]];
    return preset !== undefined && preset !== '' && preset !== own[VARIABLE[name]];
  });
  const managed = names.filter((name) => !external.includes(name));
  const logsDir = stackPaths(env).logsDir;

  for (const name of external) {
    const endpoint = env[VARIABLE[name]]!;
    if (!(await PROBE[name](endpoint))) {
      throw new Error(
        `${VARIABLE[name]}=${endpoint} is set but ${name} does not answer there. ` +
          `Start that service, or unset ${VARIABLE[name]} to let the tests run the local stack.`,
      );
    }
  }

  let started: ServiceName[] = [];
  if (managed.length > 0) {
    try {
      const result = await stackUp({ services: managed, log: (line) => console.log(`[stack] ${line}`) });
      started = result.services.filter((s) => s.action === 'started').map((s) => s.name);
      console.log(`[stack] up in ${(result.durationMs / 1000).toFixed(1)} s (${managed.join(', ')})`);
    } catch (error) {
      throw new Error(
        `integration tests need the local stack and it did not start:\n${messageOf(error)}\n` +
          `Start it by hand with \`npm run stack:up\` (check with \`npm run stack:status\`); ` +
          `service logs are in ${logsDir}/ (kafka.log, dynamodb.log, s3.log; installs in *-install.log).`,
      );
    }
  }

  const endpoints: StackEndpoints = {
    SLUICE_KAFKA_BROKERS: env.SLUICE_KAFKA_BROKERS || own.SLUICE_KAFKA_BROKERS,
    AWS_ENDPOINT_URL_DYNAMODB: env.AWS_ENDPOINT_URL_DYNAMODB || own.AWS_ENDPOINT_URL_DYNAMODB,
    AWS_ENDPOINT_URL_S3: env.AWS_ENDPOINT_URL_S3 || own.AWS_ENDPOINT_URL_S3,
    SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL || own.SCHEMA_REGISTRY_URL,
  };
  Object.assign(env, endpoints);
  project.provide('sluiceStack', endpoints);

  return async () => {
    if (teardownMode(env) === 'stop' && started.length > 0) {
      await stackDown({ services: started });
      console.log(`[stack] stopped ${started.join(', ')} (started by this run)`);
    }
  };
}

function teardownMode(env: NodeJS.ProcessEnv): 'keep' | 'stop' {
  const mode = env.SLUICE_STACK_TEARDOWN;
  if (mode === 'keep' || mode === 'stop') return mode;
  if (mode) throw new Error(`SLUICE_STACK_TEARDOWN must be keep or stop, got ${JSON.stringify(mode)}`);
  return env.CI && env.CI !== 'false' && env.CI !== '0' ? 'stop' : 'keep';
}
