import { type Coordinator, createCoordinator } from '../checkpoint/coordinator';
import type { SluiceConfig } from '../core/config';
import { type FaultInjector, noFaults } from '../core/faults';
import { createLogger, type Logger } from '../core/log';
import { LOCAL_NAMESPACE, validateNamespace } from '../core/namespace';
import { createLogPublisher } from '../sink/log-publisher';
import type { Publishers } from '../sink/publisher';
import { storeFromConfig } from '../store/from-config';
import type { Store } from '../store/store';
import { type MetricsSink, noMetrics } from './batch-metrics';

/** Everything a handler needs besides the definition; built once per process (cold start). */
export interface Runtime {
  /** the deployment namespace (lib/core/namespace.ts) */
  namespace: string;
  store: Store;
  publishers: Publishers;
  coordinator: Coordinator;
  log: Logger;
  /** Where each batch's metrics go (SLUICE_METRICS: CloudWatch EMF on stdout, or nowhere). */
  metrics: MetricsSink;
  /** The clock of commits and metrics. */
  now: () => number;
  /** Answer with partial batch responses (SLUICE_REPORT_BATCH_ITEM_FAILURES); default false. */
  reportBatchItemFailures: boolean;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  store: Store;
  publishers?: Publishers;
  log?: Logger;
  /** default: none */
  metrics?: MetricsSink;
  now?: () => number;
  faults?: FaultInjector;
  /** default `local` */
  namespace?: string;
  /** default false */
  reportBatchItemFailures?: boolean;
}

export function createRuntime(deps: RuntimeDeps): Runtime {
  const log = deps.log ?? createLogger();
  const now = deps.now ?? Date.now;
  const namespace = validateNamespace(deps.namespace ?? LOCAL_NAMESPACE, 'namespace');
  const publishers: Publishers = { log: createLogPublisher(log), ...deps.publishers };
  const coordinator = createCoordinator({
    store: deps.store,
    publishers,
    log,
    now,
    faults: deps.faults ?? noFaults,
    namespace,
  });
  return {
    namespace,
    store: deps.store,
    publishers,
    coordinator,
    log,
    metrics: deps.metrics ?? noMetrics,
    now,
    reportBatchItemFailures: deps.reportBatchItemFailures ?? false,
    async close() {
      await Promise.all(Object.values(publishers).map((p) => p.close()));
      await deps.store.close();
    },
  };
}

/** Where a runtime's lines go instead of stdout (the emulator, to show or read them). */
export interface RuntimeOutput {
  /** one log or EMF line, without its newline */
  write(line: string): void;
}

/**
 * The runtime of a deployed or emulated handler: store, publishers, namespace, log level and
 * metrics from the typed configuration (`configFromEnv`, built once per cold start).
 *
 * @example
 * const runtime = await runtimeFromConfig(configFromEnv(process.env));
 */
export async function runtimeFromConfig(config: SluiceConfig, output?: RuntimeOutput): Promise<Runtime> {
  const { kafkaPublishers } = await import('../sink/kafka-from-config');
  const write = output && ((line: string) => output.write(line));
  // Loaded only when on: a function with metrics off does not pay for Powertools at cold start.
  const metrics = config.metrics.enabled
    ? (await import('./emf-metrics')).createEmfMetrics({
        namespace: config.metrics.namespace,
        ...(write && { write }),
      })
    : noMetrics;
  return createRuntime({
    namespace: config.namespace,
    store: await storeFromConfig(config.store, config.namespace),
    publishers: kafkaPublishers(config.kafka, {
      log: createLogger({ level: config.logLevel, base: { component: 'kafka' }, ...(write && { write }) }),
    }),
    log: createLogger({ level: config.logLevel, ...(write && { write }) }),
    metrics,
    reportBatchItemFailures: config.reportBatchItemFailures,
  });
}
