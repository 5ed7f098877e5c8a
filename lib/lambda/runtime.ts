import { type Coordinator, createCoordinator } from '../checkpoint/coordinator';
import type { SluiceConfig } from '../core/config';
import { type FaultInjector, noFaults } from '../core/faults';
import { createLogger, type Logger } from '../core/log';
import { LOCAL_NAMESPACE, validateNamespace } from '../core/namespace';
import { createLogPublisher } from '../sink/log-publisher';
import type { Publishers } from '../sink/publisher';
import { storeFromConfig } from '../store/from-config';
import type { Store } from '../store/store';

/** Everything a handler needs besides the definition; built once per process (cold start). */
export interface Runtime {
  /** the deployment namespace (lib/core/namespace.ts) */
  namespace: string;
  store: Store;
  publishers: Publishers;
  coordinator: Coordinator;
  log: Logger;
  /** Answer with partial batch responses (SLUICE_REPORT_BATCH_ITEM_FAILURES); default false. */
  reportBatchItemFailures: boolean;
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
  /** default false */
  reportBatchItemFailures?: boolean;
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
    reportBatchItemFailures: deps.reportBatchItemFailures ?? false,
    async close() {
      await Promise.all(Object.values(publishers).map((p) => p.close()));
      await deps.store.close();
    },
  };
}

/**
 * The runtime of a deployed or emulated handler: store, publishers, namespace and log level from
 * the typed configuration (`configFromEnv`, built once per cold start).
 *
 * @example
 * const runtime = await runtimeFromConfig(configFromEnv(process.env));
 */
export async function runtimeFromConfig(config: SluiceConfig): Promise<Runtime> {
  const { kafkaPublishers } = await import('../sink/kafka-from-config');
  return createRuntime({
    namespace: config.namespace,
    store: await storeFromConfig(config.store, config.namespace),
    publishers: kafkaPublishers(config.kafka, {
      log: createLogger({ level: config.logLevel, base: { component: 'kafka' } }),
    }),
    log: createLogger({ level: config.logLevel }),
    reportBatchItemFailures: config.reportBatchItemFailures,
  });
}
