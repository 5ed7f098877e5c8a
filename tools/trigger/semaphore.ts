/**
 * Bounds concurrent invocations of one function across its partitions, like a function's
 * reserved concurrency: with fewer slots than partitions, partitions wait their turn (Lambda
 * throttles and its poller retries); order within a partition is unaffected.
 */
export interface Semaphore {
  /** Waits for a slot; the returned function frees it. Rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Slots in use. */
  readonly active: number;
}

/** `limit` undefined: no bound. */
export function createSemaphore(limit?: number): Semaphore {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    active--;
    const next = waiting.shift();
    if (next) next();
  };
  return {
    get active() {
      return active;
    },
    acquire(signal) {
      if (limit === undefined || active < limit) {
        active++;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', abort);
          active++;
          resolve(once(release));
        };
        const abort = () => {
          const index = waiting.indexOf(grant);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal?.reason ?? new Error('aborted'));
        };
        if (signal?.aborted) return abort();
        signal?.addEventListener('abort', abort, { once: true });
        waiting.push(grant);
      });
    },
  };
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}
