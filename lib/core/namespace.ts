import { ConfigError } from './errors';

/**
 * The deployment namespace: which deployment of a function a Kafka identity belongs to. Two
 * deployments of one function on one cluster (stages dev and prod, or `sluice dev` beside a
 * deployed stage) must never share a transactional id or an outbox marker, or one fences the
 * other's producers and skips its outputs as "already published". Every Kafka identity and
 * every key of a shared store carries it.
 *
 * Letters, digits, '_' and '-': it sits between '.' separators in transactional ids and group
 * ids, and Kafka tooling (ACL prefixes, kafka-consumer-groups) handles these everywhere.
 */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,95}$/;

/** Off Lambda, without SLUICE_NAMESPACE (tests, `sluice invoke`). */
export const LOCAL_NAMESPACE = 'local';

export function validateNamespace(namespace: string, setting = 'SLUICE_NAMESPACE'): string {
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigError(
      `${setting} must be 1-96 letters, digits, '_' or '-' starting with a letter or digit (it is part of ` +
        `Kafka transactional ids and consumer group ids), got ${JSON.stringify(namespace)}`,
    );
  }
  return namespace;
}

/**
 * SLUICE_NAMESPACE; the serverless plugin sets it to `<service>-<stage>`. On Lambda it is
 * required: a silent default would let two deployments collide. Elsewhere it defaults to
 * `local`.
 */
export function namespaceFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.SLUICE_NAMESPACE;
  if (value === undefined || value === '') {
    if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
      throw new ConfigError(
        'SLUICE_NAMESPACE is not set: the sluice serverless plugin sets it to <service>-<stage>; without the ' +
          'plugin, set it in the function environment to a name unique to this deployment on the cluster',
      );
    }
    return LOCAL_NAMESPACE;
  }
  return validateNamespace(value);
}

/** The namespace `sluice dev` uses for a serverless.yml: never the deployed stage's own. */
export function localNamespaceOf(service: string, stage: string): string {
  return validateNamespace(`${service}-${stage}-local`, 'service and stage of serverless.yml');
}
