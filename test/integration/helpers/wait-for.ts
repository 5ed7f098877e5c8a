/**
 * Polls `check` until it returns a value other than `undefined`/`false` (or stops throwing), and
 * returns it. Fails after `timeoutMs` with `message` and the last error: no fixed sleeps in tests.
 *
 * @example
 * const offsets = await waitFor(async () => {
 *   const map = await admin.committedOffsets(group, topic);
 *   return map.get(0) === 3 ? map : undefined;
 * }, { message: 'group offset never reached 3' });
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${options.message ?? 'condition not met'} within ${timeoutMs} ms${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
