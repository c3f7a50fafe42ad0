import { mailFailureIsPermanent, type Mailer, type MailMessage } from '@geoworks/mailer';
import type { QueueLogger } from '@geoworks/job-queue';
import { backoffDelay, systemClock, type Clock } from './clock.js';
import type { EmailOutcome, EmailState, SpooledEmail, StatsStore } from './stats.js';

/** How the emails with download links are retried when the mail server does not take them. */
export interface EmailRetryOptions {
  /** Attempts in all, the first one included. Default 20. */
  maxAttempts?: number;
  /** Longest time an email is retried, from its first attempt. Default 1 day. */
  maxAgeMs?: number;
  /** Wait before the first retry, doubled for each next one (+-25% jitter). Default 1 minute. */
  retryDelayMs?: number;
  /** Longest wait between two attempts. Default 1 hour. */
  maxRetryDelayMs?: number;
  /** The clock and timers of the retries; tests move one by hand. Default: the real one. */
  clock?: Clock;
}

const MINUTE_MS = 60_000;
// Long enough for any SMTP conversation (its timeouts are at most tens of seconds): an attempt
// that died with its process is tried again after it.
const LEASE_MS = 10 * MINUTE_MS;

/**
 * The emails carrying download links, kept in the statistics database until the mail server
 * takes them: a refused or unreachable server no longer loses one. Each is tried at once, then
 * again with exponential backoff while the refusal is temporary (4xx, no connection, a
 * timeout), up to `maxAttempts` and `maxAgeMs` and never past the link's expiry; a permanent
 * refusal (5xx) ends it at once. Its state is the request's (`email_status`, attempts, last
 * error). The spool survives a restart: what is due is tried when it opens.
 */
export class EmailSpool {
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly maxAgeMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly stopping = new AbortController();
  private cancelTimer: (() => void) | undefined;
  private timerDue: number | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly stats: StatsStore,
    private readonly mailer: Mailer,
    options: EmailRetryOptions = {},
    private readonly logger?: QueueLogger,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.maxAgeMs = options.maxAgeMs ?? 24 * 60 * MINUTE_MS;
    this.retryDelayMs = options.retryDelayMs ?? MINUTE_MS;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60 * MINUTE_MS;
    if (!(Number.isInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new RangeError('maxAttempts must be an integer >= 1');
    }
  }

  /** The current time of the spool's clock. */
  now(): number {
    return this.clock.now();
  }

  /** Arms the timer for what is already waiting (emails left by an earlier run). */
  start(): void {
    this.schedule();
  }

  /** Tries the email of a request that was just spooled, now (see `state` for the outcome). */
  async deliver(requestId: number): Promise<void> {
    const now = this.clock.now();
    const [email] = this.stats.claimEmails(now, now + LEASE_MS, { requestId });
    // Not due (another attempt holds it): that attempt settles it.
    if (email !== undefined) await this.track(this.attempt(email));
    this.schedule();
  }

  /** The email state of the request a job made. */
  state(jobId: string): EmailState | undefined {
    return this.stats.emailState(jobId);
  }

  /** Stops the timer and any attempt under way (it stays pending, for the next start). */
  async close(): Promise<void> {
    this.stopping.abort();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Arms one timer for the earliest due email, unless one is already set for then or earlier. */
  private schedule(): void {
    if (this.stopping.signal.aborted) return;
    const due = this.stats.nextEmailDue();
    if (due === undefined || (this.timerDue !== undefined && this.timerDue <= due)) return;
    this.cancelTimer?.();
    this.timerDue = due;
    this.cancelTimer = this.clock.setTimer(() => this.track(this.runDue()), due - this.clock.now());
  }

  private async runDue(): Promise<void> {
    this.cancelTimer = undefined;
    this.timerDue = undefined;
    try {
      for (;;) {
        if (this.stopping.signal.aborted) return;
        const now = this.clock.now();
        const batch = this.stats.claimEmails(now, now + LEASE_MS);
        if (batch.length === 0) break;
        for (const email of batch) await this.attempt(email);
      }
    } catch (error) {
      this.logger?.error({ error: (error as Error).message }, 'email spool: an attempt failed');
    } finally {
      this.schedule();
    }
  }

  private async attempt(email: SpooledEmail): Promise<EmailOutcome> {
    const attempts = email.attempts + 1;
    let outcome: EmailOutcome;
    if (this.clock.now() >= email.expiresAt) {
      outcome = {
        status: 'failed',
        error: 'The download link expired before the email could be delivered',
      };
    } else {
      try {
        await this.mailer.send(JSON.parse(email.message) as MailMessage, {
          signal: this.stopping.signal,
        });
        outcome = { status: 'sent' };
      } catch (error) {
        outcome = this.afterFailure(email, attempts, error);
      }
    }
    this.stats.recordEmailAttempt(email.requestId, outcome);
    this.logger?.[outcome.status === 'failed' ? 'error' : 'info'](
      { requestId: email.requestId, attempts, ...outcome },
      `email ${outcome.status}`,
    );
    return outcome;
  }

  private afterFailure(email: SpooledEmail, attempts: number, error: unknown): EmailOutcome {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.clock.now();
    // Stopped by a shutdown: not the server's fault; tried again on the next start.
    if (this.stopping.signal.aborted)
      return { status: 'pending', error: message, nextAttemptAt: now };
    if (mailFailureIsPermanent(error)) return { status: 'failed', error: message };
    if (attempts >= this.maxAttempts) {
      return { status: 'failed', error: `${message} (gave up after ${attempts} attempts)` };
    }
    const nextAttemptAt = now + backoffDelay(this.retryDelayMs, attempts - 1, this.maxRetryDelayMs);
    if (nextAttemptAt - email.createdAt > this.maxAgeMs || nextAttemptAt >= email.expiresAt) {
      return { status: 'failed', error: `${message} (gave up after ${attempts} attempts)` };
    }
    return { status: 'pending', error: message, nextAttemptAt };
  }
}
