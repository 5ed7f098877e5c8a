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

/** Off Lambda, without SLUICE_NAMESPACE (tests, `sluice invoke`); lib/core/config.ts reads it. */
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

/** The namespace `sluice dev` uses for a serverless.yml: never the deployed stage's own. */
export function localNamespaceOf(service: string, stage: string): string {
  return validateNamespace(`${service}-${stage}-local`, 'service and stage of serverless.yml');
}
