import { type Coordinator, createCoordinator } from '../checkpoint/coordinator';
import { type FaultInjector, noFaults } from '../checkpoint/faults';
import type { Publishers } from '../checkpoint/publish';
import { ConfigError } from '../errors';
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
  outboxMarkerRetentionMs?: number;
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
    outboxMarkerRetentionMs: deps.outboxMarkerRetentionMs,
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
  return createRuntime({
    store: await storeFromEnv(env),
    publishers: await kafkaPublishersFromEnv(env),
    outboxMarkerRetentionMs: outboxMarkerRetentionFromEnv(env),
  });
}

/** SLUICE_OUTBOX_MARKER_RETENTION_MINUTES: set it to the broker's offsets.retention.minutes. */
export function outboxMarkerRetentionFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.SLUICE_OUTBOX_MARKER_RETENTION_MINUTES;
  if (text === undefined) return undefined;
  const minutes = Number(text);
  if (!Number.isInteger(minutes) || minutes < 120) {
    throw new ConfigError(
      `SLUICE_OUTBOX_MARKER_RETENTION_MINUTES must be a whole number of minutes >= 120 (the broker's ` +
        `offsets.retention.minutes), got "${text}"`,
    );
  }
  return (minutes - 60) * 60_000;
}
