import { type Coordinator, createCoordinator } from '../checkpoint/coordinator';
import { type FaultInjector, noFaults } from '../core/faults';
import { createLogger, type Logger } from '../core/log';
import { LOCAL_NAMESPACE, namespaceFromEnv, validateNamespace } from '../core/namespace';
import { createLogPublisher } from '../sink/log-publisher';
import type { Publishers } from '../sink/publisher';
import { storeFromEnv } from '../store/from-env';
import type { Store } from '../store/store';

/** Everything a handler needs besides the definition; built once per process (cold start). */
export interface Runtime {
  /** the deployment namespace (lib/core/namespace.ts) */
  namespace: string;
  store: Store;
  publishers: Publishers;
  coordinator: Coordinator;
  log: Logger;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  store: Store;
  publishers?: Publishers;
  log?: Logger;
  now?: () => number;
  faults?: FaultInjector;
  /** default `local` */
  namespace?: string;
}

export function createRuntime(deps: RuntimeDeps): Runtime {
  const log = deps.log ?? createLogger();
  const namespace = validateNamespace(deps.namespace ?? LOCAL_NAMESPACE, 'namespace');
  const publishers: Publishers = { log: createLogPublisher(log), ...deps.publishers };
  const coordinator = createCoordinator({
    store: deps.store,
    publishers,
    log,
    now: deps.now ?? Date.now,
    faults: deps.faults ?? noFaults,
    namespace,
  });
  return {
    namespace,
    store: deps.store,
    publishers,
    coordinator,
    log,
    async close() {
      await Promise.all(Object.values(publishers).map((p) => p.close()));
      await deps.store.close();
    },
  };
}

/** The runtime of a deployed or emulated handler: store, publishers and namespace from the environment. */
export async function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const namespace = namespaceFromEnv(env);
  const { kafkaPublishersFromEnv } = await import('../sink/kafka-from-env');
  return createRuntime({
    namespace,
    store: await storeFromEnv(env),
    publishers: await kafkaPublishersFromEnv(env),
  });
}
