/**
 * How a client waits: backoffs, Retry-After and timeouts. Tests pass their own to see the
 * delays asked for, and to decide when (or whether) they end, without letting time pass.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

// Node's timers take at most 2^31 - 1 ms (~24.8 days); a longer delay would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
