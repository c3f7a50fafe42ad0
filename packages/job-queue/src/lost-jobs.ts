import { QueueUnavailableError } from './errors.js';
import type { JobQueue } from './queue.js';
import { isTerminal, type Job, type QueueLogger } from './types.js';

export interface LostJobWatchOptions {
  /** The ids of the jobs the caller believes queued or running, read at every check. */
  liveJobs(): Iterable<string>;
  /** Called once for each of those ids the queue no longer knows. */
  onLost(id: string): void | Promise<void>;
  /**
   * Called for each of those jobs the queue holds as ended: an end the caller missed (its
   * event came before the caller recorded the job, or while it was not listening).
   */
  onEnded?(job: Job): void | Promise<void>;
  /** Time between checks; default 15 s. 0: no timer, only explicit `check()` calls. */
  intervalMs?: number;
  logger?: QueueLogger;
}

export interface LostJobWatch {
  /** Checks now; resolves with the ids found lost (and already handed to `onLost`). */
  check(): Promise<string[]>;
  stop(): void;
}

/**
 * Finds the jobs a service is waiting for that its queue has forgotten. A Redis that restarts
 * without its data takes queued and running jobs with it: no event will ever report their end,
 * so a service that records results from events would show them running forever. This asks the
 * queue about each live job every `intervalMs` and reports those it answers `null` for, and
 * those it holds as ended (an end event the caller missed). While the queue is unavailable
 * nothing is reported: an outage is not a loss.
 */
export function watchLostJobs(queue: JobQueue, options: LostJobWatchOptions): LostJobWatch {
  let running: Promise<string[]> | null = null;
  let stopped = false;

  const sweep = async (): Promise<string[]> => {
    const lost: string[] = [];
    for (const id of [...options.liveJobs()]) {
      if (stopped) break;
      let job;
      try {
        job = await queue.get(id);
      } catch (error) {
        if (error instanceof QueueUnavailableError) break;
        throw error;
      }
      if (job === null) {
        await options.onLost(id);
        lost.push(id);
      } else if (isTerminal(job.status)) {
        await options.onEnded?.(job);
      }
    }
    return lost;
  };

  const check = (): Promise<string[]> => {
    // One sweep at a time: a slow Redis must not pile sweeps up.
    running ??= sweep().finally(() => {
      running = null;
    });
    return running;
  };

  const intervalMs = options.intervalMs ?? 15_000;
  const timer =
    intervalMs > 0
      ? setInterval(() => {
          check().catch((error: unknown) =>
            options.logger?.warn({ err: error }, 'could not check for lost jobs'),
          );
        }, intervalMs)
      : undefined;
  timer?.unref();

  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
