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
 * One admin client, shared (marker reads, partition counts); it connects on first call. After
 * an error the caller resets it, so the next use starts a fresh one.
 */
export function sharedAdmin(kafka: () => Promise<KafkaPort>) {
  let admin: KafkaAdmin | undefined;
  const reset = async () => {
    const current = admin;
    admin = undefined;
    await current?.disconnect().catch(() => {});
  };
  return {
    async get(): Promise<KafkaAdmin> {
      admin ??= (await kafka()).admin();
      return admin;
    },
    /** Runs an admin call; on failure the admin is replaced before the error goes on. */
    async call<T>(fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
      const current = await this.get();
      try {
        return await fn(current);
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
