/**
 * Calls `probe` until it resolves (rather than throws), and gives what it resolved with: for
 * waiting on an outcome another process brings about (a server reconnecting, a job ending),
 * never for letting time pass. After `timeoutMs` (default 15 s) the last error is thrown.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
    }
  }
}
