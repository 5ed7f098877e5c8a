import type { KafkaAdmin } from '../kafka/admin';
import type { KafkaPort, KafkaSource } from './kafka-port';

/** Resolves a client or client factory once, on first use; a failed factory is tried again next time. */
export function lazyKafka(source: KafkaSource): () => Promise<KafkaPort> {
  let resolved: Promise<KafkaPort> | undefined;
  return () => {
    resolved ??= Promise.resolve()
      .then(() => (typeof source === 'function' ? source() : source))
      .catch((error: unknown) => {
        resolved = undefined;
        throw error;
      });
    return resolved;
  };
}

/**
 * One admin client, shared (marker reads, topic limits); it connects on first call. After an
 * error the caller resets it, so the next use starts a fresh one. Concurrent first calls (several
 * partitions, or invocations at once on Managed Instances) share one client.
 */
export function sharedAdmin(kafka: () => Promise<KafkaPort>) {
  let admin: Promise<KafkaAdmin> | undefined;
  const reset = async () => {
    const current = admin;
    admin = undefined;
    await (await current?.catch(() => undefined))?.disconnect().catch(() => {});
  };
  const get = (): Promise<KafkaAdmin> => {
    admin ??= kafka()
      .then((client) => client.admin())
      .catch((error: unknown) => {
        admin = undefined;
        throw error;
      });
    return admin;
  };
  return {
    get,
    /** Runs an admin call; on failure the admin is replaced before the error goes on. */
    async call<T>(fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
      const current = get();
      try {
        return await fn(await current);
      } catch (error) {
        if (admin === current) await reset();
        throw error;
      }
    },
    reset,
    close: reset,
  };
}

export type SharedAdmin = ReturnType<typeof sharedAdmin>;
