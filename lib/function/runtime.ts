import { type Coordinator, createCoordinator } from '../checkpoint/coordinator';
import { type FaultInjector, noFaults } from '../checkpoint/faults';
import type { Publishers } from '../checkpoint/publish';
import { createLogger, type Logger } from '../log';
import { createLogPublisher } from '../sink/log-publisher';
import { storeFromEnv } from '../store/from-env';
import type { Store } from '../store/store';

/** Everything a handler needs besides the definition; built once per process (cold start). */
export interface Runtime {
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
}

export function createRuntime(deps: RuntimeDeps): Runtime {
  const log = deps.log ?? createLogger();
  const publishers: Publishers = { log: createLogPublisher(log), ...deps.publishers };
  const coordinator = createCoordinator({
    store: deps.store,
    publishers,
    log,
    now: deps.now ?? Date.now,
    faults: deps.faults ?? noFaults,
  });
  return {
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

/** The runtime of a deployed or emulated handler: store and publishers from the environment. */
export async function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const { kafkaPublishersFromEnv } = await import('../sink/kafka-from-env');
  return createRuntime({ store: await storeFromEnv(env), publishers: await kafkaPublishersFromEnv(env) });
}
