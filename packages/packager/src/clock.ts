/**
 * Time as the email spool sees it: the current time and one-shot timers. Tests give a clock
 * they move by hand, so retries an hour apart take no time to test.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `task` once `ms` have passed; returns a function that cancels it. A task may return a
   * promise (a clock driven by hand can wait for it).
   */
  setTimer(task: () => Promise<void> | void, ms: number): () => void;
}

// Node's timers take at most 2^31 - 1 ms (~24.8 days); a longer wait is cut there, after which
// the spool looks again.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock; its timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(task, ms) {
    const timer = setTimeout(
      () => void Promise.resolve(task()).catch(() => undefined),
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * The wait before retry number `tried + 1`: `baseMs` doubled per earlier retry, at most
 * `maxMs`, with +-25% jitter so that many jobs hit by one outage do not all come back at the
 * same instant.
 */
export function backoffDelay(baseMs: number, tried: number, maxMs = Infinity): number {
  return Math.round(Math.min(maxMs, baseMs * 2 ** tried) * (0.75 + Math.random() * 0.5));
}
