import { AbortedError } from '@geoworks/errors';
import { sleep as timerSleep, type Sleep } from './sleep.js';

export interface RetryPolicy {
  /** Further attempts after the first. */
  retries: number;
  /** The first backoff's ceiling; it doubles per retry, up to `maxDelayMs`. */
  baseDelayMs: number;
  /** The longest backoff, and the longest `Retry-After` honoured. */
  maxDelayMs: number;
}

/**
 * The wait before retry number `attempt + 1` (`attempt` counts from 0): uniform from half the
 * ceiling to the ceiling, where the ceiling is `baseDelayMs * 2^attempt`, at most `maxDelayMs`.
 * Half is kept so that a throttled client really pauses; the other half spreads out the clients
 * one outage hit at the same instant. A server's `Retry-After` is a minimum, up to `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  options: { retryAfterMs?: number | undefined; random?: () => number } = {},
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2);
  const { retryAfterMs } = options;
  return Math.round(
    retryAfterMs === undefined
      ? jittered
      : Math.min(Math.max(jittered, retryAfterMs), policy.maxDelayMs),
  );
}

/**
 * A `Retry-After` header (delay-seconds or an HTTP-date) as milliseconds from `now`; undefined
 * when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryWait<E = unknown> extends Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'> {
  signal?: AbortSignal | undefined;
  /** How the backoff is waited out (default: a timer). */
  sleep?: Sleep | undefined;
  /** Told about each retry before its wait: the failure, the retry's number (from 1), the wait. */
  onRetry?: ((error: E, attempt: number, delayMs: number) => void) | undefined;
}

/**
 * Waits before retry number `attempt + 1` after `error` (see `backoffDelay`). Rejects with an
 * `AbortedError` (the signal's reason as its cause) when `signal` aborts first.
 */
export async function waitBeforeRetry<E>(
  error: E,
  attempt: number,
  options: RetryWait<E> & { retryAfterMs?: number | undefined },
): Promise<void> {
  const { signal } = options;
  const aborted = () =>
    new AbortedError('Aborted while waiting to retry', { cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  const delayMs = backoffDelay(attempt, options, { retryAfterMs: options.retryAfterMs });
  options.onRetry?.(error, attempt + 1, delayMs);
  try {
    await (options.sleep ?? timerSleep)(delayMs, signal);
  } catch (reason) {
    if (signal?.aborted) throw aborted();
    throw reason;
  }
}

export interface RetryOptions<E = unknown> extends RetryWait<E> {
  retries: number;
  /** Whether a failure is worth another attempt (a type guard gives `onRetry` its type). */
  retryable: ((error: unknown) => error is E) | ((error: unknown) => boolean);
}

/**
 * Runs `attempt` (given its number, from 0) until it succeeds, fails in a way `retryable`
 * refuses, or has been retried `retries` times (the last failure is thrown), waiting
 * `backoffDelay` before each retry.
 */
export async function retry<T, E = unknown>(
  attempt: (attempt: number) => Promise<T>,
  options: RetryOptions<E>,
): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt(tried);
    } catch (error) {
      if (tried >= options.retries || !options.retryable(error)) throw error;
      await waitBeforeRetry(error as E, tried, options);
    }
  }
}
