import { EventEmitter } from 'node:events';
import { AbortedError, InvalidInputError, isGeoworksError, TimeoutError } from '@geoworks/errors';
import { JobNotFoundError, UnknownQueueError } from './errors.js';
import type { JobTypeRegistry } from './job-types.js';
import { toStrictJson } from './serialize.js';
import {
  isTerminal,
  type AbortResult,
  type EnqueueOptions,
  type Job,
  type JobEvents,
  type JobFilter,
  type JobType,
  type LogLine,
  type LogRange,
  type QueueStats,
} from './types.js';

/** The one job queue interface; `createJobQueue` gives the SQLite or the Redis backend. */
export interface JobQueue {
  readonly backend: 'sqlite' | 'redis';
  /** Names of the configured queues. */
  readonly queues: readonly string[];
  /** Adds a job and returns its id (or the id of the job already holding `options.key`). */
  enqueue(type: string, payload: unknown, options?: EnqueueOptions): Promise<string>;
  /** The job, or null when no job has this id. */
  get(id: string): Promise<Job | null>;
  list(filter?: JobFilter): Promise<Job[]>;
  /** Stops a queued or running job; it ends `aborted`. Resolves once it has ended. */
  abort(id: string, reason?: string): Promise<AbortResult>;
  /** Log lines `start` (inclusive) to `end` (exclusive), readable while the job runs. */
  logs(id: string, range?: LogRange): Promise<LogLine[]>;
  logCount(id: string): Promise<number>;
  /** Resolves with the job once it is finished, failed or aborted. */
  wait(id: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Job>;
  stats(): Promise<QueueStats[]>;
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this;
  off<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): this;
  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then hands the rest back
   * to the queue (they run again at the next start or on another worker) and releases resources.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface PreparedEnqueue {
  definition: JobType;
  type: string;
  queue: string;
  payload: unknown;
  payloadJson: string;
  key: string | null;
  timeoutMs: number | null;
  attempts: number;
}

export interface BaseQueueOptions {
  queues: Record<string, { concurrency: number }>;
  defaultQueue: string;
  maxPayloadBytes: number;
}

const MAX_LIST_LIMIT = 10_000;

/** What both backends share: checking input, events and waiting. */
export abstract class BaseJobQueue extends EventEmitter<JobEvents> implements JobQueue {
  abstract readonly backend: 'sqlite' | 'redis';
  readonly queues: readonly string[];
  protected readonly registry: JobTypeRegistry;
  protected readonly queueOptions: BaseQueueOptions;

  protected constructor(registry: JobTypeRegistry, options: BaseQueueOptions) {
    super();
    this.registry = registry;
    this.queueOptions = options;
    this.queues = Object.keys(options.queues);
    // Listeners for `wait()` come and go; many concurrent waits are normal.
    this.setMaxListeners(0);
  }

  abstract enqueue(type: string, payload: unknown, options?: EnqueueOptions): Promise<string>;
  abstract get(id: string): Promise<Job | null>;
  abstract list(filter?: JobFilter): Promise<Job[]>;
  abstract abort(id: string, reason?: string): Promise<AbortResult>;
  abstract logs(id: string, range?: LogRange): Promise<LogLine[]>;
  abstract logCount(id: string): Promise<number>;
  abstract stats(): Promise<QueueStats[]>;
  abstract close(options?: { graceMs?: number }): Promise<void>;

  /** Checks everything about an enqueue call before anything is stored. */
  protected prepareEnqueue(
    type: unknown,
    payload: unknown,
    options: EnqueueOptions = {},
  ): PreparedEnqueue {
    if (typeof type !== 'string') throw new InvalidInputError('Job type must be a string');
    const definition = this.registry.get(type);
    if (options === null || typeof options !== 'object') {
      throw new InvalidInputError('Enqueue options must be an object');
    }
    const queue = options.queue ?? definition.queue ?? this.queueOptions.defaultQueue;
    if (!(queue in this.queueOptions.queues)) throw new UnknownQueueError(queue, this.queues);
    const key = options.key ?? null;
    if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > 1024)) {
      throw new InvalidInputError('Job key must be a non-empty string of at most 1024 characters');
    }
    const timeoutMs = options.timeoutMs ?? definition.timeoutMs ?? null;
    if (
      timeoutMs !== null &&
      !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)
    ) {
      throw new InvalidInputError(
        'timeoutMs must be a positive number of milliseconds (at most 24 days)',
      );
    }
    const attempts = options.attempts ?? definition.attempts ?? 1;
    if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= 100)) {
      throw new InvalidInputError('attempts must be an integer from 1 to 100');
    }
    let checked = payload;
    if (definition.validate !== undefined) {
      try {
        checked = definition.validate(payload);
      } catch (error) {
        if (isGeoworksError(error)) throw error;
        throw new InvalidInputError(
          `Invalid payload for job type "${type}": ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    const payloadJson = toStrictJson(checked, 'The job payload', this.queueOptions.maxPayloadBytes);
    return { definition, type, queue, payload: checked, payloadJson, key, timeoutMs, attempts };
  }

  protected checkFilter(filter: JobFilter): Required<Pick<JobFilter, 'limit' | 'offset'>> {
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (!(Number.isInteger(limit) && limit >= 0 && limit <= MAX_LIST_LIMIT)) {
      throw new InvalidInputError(`limit must be an integer from 0 to ${MAX_LIST_LIMIT}`);
    }
    if (!(Number.isInteger(offset) && offset >= 0))
      throw new InvalidInputError('offset must be an integer >= 0');
    if (filter.queue !== undefined && !this.queues.includes(filter.queue)) {
      throw new UnknownQueueError(filter.queue, this.queues);
    }
    return { limit, offset };
  }

  protected checkRange(range: LogRange): { start: number; end: number | null } {
    const start = range.start ?? 0;
    const end = range.end ?? null;
    if (!(Number.isInteger(start) && start >= 0))
      throw new InvalidInputError('Log start must be an integer >= 0');
    if (end !== null && !(Number.isInteger(end) && end >= 0)) {
      throw new InvalidInputError('Log end must be an integer >= 0');
    }
    return { start, end };
  }

  async wait(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Job> {
    const first = await this.get(id);
    if (first === null) throw new JobNotFoundError(id);
    if (isTerminal(first.status)) return first;
    return new Promise<Job>((resolve, reject) => {
      let settled = false;
      const onEnd = (job: Job) => {
        if (job.id === id) done(() => resolve(job));
      };
      // Events cover jobs this process runs; polling covers jobs run elsewhere.
      const poll = setInterval(() => {
        this.get(id).then(
          (job) => {
            // Gone while waited for (a Redis that lost its data): it will never end.
            if (job === null) done(() => reject(new JobNotFoundError(id)));
            else if (isTerminal(job.status)) done(() => resolve(job));
          },
          (error: unknown) => done(() => reject(error)),
        );
      }, 250);
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                done(() =>
                  reject(new TimeoutError(`Job ${id} did not end within ${options.timeoutMs} ms`)),
                ),
              options.timeoutMs,
            );
      const onAbort = () => done(() => reject(new AbortedError(`Stopped waiting for job ${id}`)));
      const done = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(timer);
        this.off('finished', onEnd).off('failed', onEnd).off('aborted', onEnd);
        options.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      this.on('finished', onEnd).on('failed', onEnd).on('aborted', onEnd);
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Delay before retry `attempt + 1`: exponential from `baseMs`, capped at 5 minutes. */
export function retryDelay(baseMs: number, attempt: number): number {
  return Math.min(300_000, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Errors that will fail the same way on every attempt are not retried. */
export function isRetryable(error: unknown): boolean {
  return !(isGeoworksError(error) && (error.kind === 'invalid-input' || error.kind === 'aborted'));
}
