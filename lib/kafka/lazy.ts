/**
 * A connection made once, on first use, shared by concurrent callers; a failed attempt is
 * forgotten so the next call retries.
 */
export function lazy(connect: () => Promise<void>) {
  let pending: Promise<void> | null = null;
  return {
    get(): Promise<void> {
      pending ??= connect().catch((error: unknown) => {
        pending = null;
        throw error;
      });
      return pending;
    },
    /** Runs `disconnect` if a connection was started, and forgets it. */
    async reset(disconnect: () => Promise<void>): Promise<void> {
      if (pending === null) return;
      pending = null;
      await disconnect();
    },
  };
}
