import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { serializeError } from '@geoworks/errors';
import type { RedisBackendOptions } from './backends/redis.js';
import { createJobQueue } from './create.js';
import type { InlineNames, JobDeclarations, PayloadOf, ResultOf } from './declarations.js';
import { JobAbortedError, JobLostError, JobNotFoundError } from './errors.js';
import { JobLedger, type LedgerEntry, type SettledJob } from './ledger.js';
import { watchLostJobs } from './lost-jobs.js';
import type { JobQueue } from './queue.js';
import {
  isTerminal,
  type AbortResult,
  type EnqueueOptions,
  type Job,
  type JobHandler,
  type LogLine,
  type LogRange,
  type QueueLogger,
  type QueueStats,
} from './types.js';

export interface ServiceQueueOptions<J extends JobDeclarations> {
  /** The embedded queue's file, `jobs.sqlite`, lives here. */
  dataDir: string;
  /** Run the jobs through Redis (workers may run on other machines) instead. */
  redis?: Omit<RedisBackendOptions, 'kind' | 'retentionSeconds'>;
  /** The service's job types, by name (`handlerModule(...).job(...)`, `inlineJob(...)`). */
  jobs: J;
  /** Handlers of the inline job types, which run with the service they belong to. */
  inlineHandlers?: {
    [K in InlineNames<J>]: JobHandler<PayloadOf<J[K]>, ResultOf<J[K]>>;
  };
  /** Named queues and their concurrency; default one `default` queue. */
  queues?: Record<string, { concurrency?: number }>;
  /**
   * Ended jobs, in the queue and in the ledger, are forgotten after this; default 7 days,
   * Infinity: kept for good.
   */
  retentionSeconds?: number;
  /** Where and how the service records its jobs' ends (see `JobLedger`). */
  ledger: {
    /** The service's own database: the `job_ledger` table is created there. */
    database: Database.Database;
    /** Each end, once; runs in a transaction of `database` (throw to retry it later). */
    record(job: SettledJob<J>): void;
    /** A job of the service started running (once per job). */
    started?(id: string, job: Job): void;
  };
  /** How often open jobs are checked against the queue (lost, or ended unseen); default 15 s. */
  lostJobCheckMs?: number;
  abortGraceMs?: number;
  maxLogLinesPerJob?: number;
  logger?: QueueLogger;
  /** The clock retention is measured on; default `Date.now`. */
  now?: () => number;
}

/**
 * The one way a use-case package runs background jobs: typed job types, SQLite or Redis
 * chosen here, and every job's end recorded exactly once into the service's own database,
 * including ends that happened while it was down (caught up from its open jobs at start) and
 * jobs the queue lost (recorded as failed with `JobLostError`).
 */
export async function openServiceQueue<J extends JobDeclarations>(
  options: ServiceQueueOptions<J>,
): Promise<ServiceQueue<J>> {
  const inline = (options.inlineHandlers ?? {}) as Record<string, JobHandler>;
  const jobTypes = Object.entries(options.jobs).map(([type, declaration]) =>
    declaration.build(type, inline[type]),
  );
  const retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;
  const queue = await createJobQueue({
    backend:
      options.redis === undefined
        ? { kind: 'sqlite', file: join(options.dataDir, 'jobs.sqlite'), retentionSeconds }
        : { kind: 'redis', ...options.redis, retentionSeconds },
    jobTypes,
    ...(options.queues === undefined ? {} : { queues: options.queues }),
    ...(options.abortGraceMs === undefined ? {} : { abortGraceMs: options.abortGraceMs }),
    ...(options.maxLogLinesPerJob === undefined
      ? {}
      : { maxLogLinesPerJob: options.maxLogLinesPerJob }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const service = new ServiceQueue(queue, options, retentionSeconds * 1000);
  // Catch up: ends (and losses) that happened while nobody was listening.
  await service.check();
  return service;
}

export class ServiceQueue<J extends JobDeclarations> {
  readonly #queue: JobQueue;
  readonly #ledger: JobLedger<J>;
  readonly #watch;
  readonly #now: () => number;
  readonly #retentionMs: number;
  readonly #logger: QueueLogger | undefined;
  readonly #onStarted: ((id: string, job: Job) => void) | undefined;

  constructor(queue: JobQueue, options: ServiceQueueOptions<J>, retentionMs: number) {
    this.#queue = queue;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = retentionMs;
    this.#logger = options.logger;
    this.#ledger = new JobLedger<J>(options.ledger.database, options.ledger.record, this.#now);
    this.#onStarted = options.ledger.started;
    queue.on('started', (job) => this.#started(job));
    for (const event of ['finished', 'failed', 'aborted'] as const) {
      queue.on(event, (job) => this.#settle(job));
    }
    this.#watch = watchLostJobs(queue, {
      liveJobs: () => this.#ledger.openIds(),
      onLost: (id) => this.#lost(id),
      onEnded: (job) => this.#settle(job),
      intervalMs: options.lostJobCheckMs ?? 15_000,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  get backend(): 'sqlite' | 'redis' {
    return this.#queue.backend;
  }

  /** Queues a job of the service and opens its ledger entry; the job id. */
  async enqueue<K extends keyof J & string>(
    type: K,
    payload: PayloadOf<J[K]>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const id = await this.#queue.enqueue(type, payload, options);
    this.#ledger.open(id, type, JSON.stringify(payload));
    // It may have started or ended before its entry existed (a fast job, one found by its key).
    const job = await this.#queue.get(id);
    if (job?.status === 'started') this.#started(job);
    else if (job !== null && isTerminal(job.status)) this.#settle(job);
    return id;
  }

  /**
   * The queue's view of a job (null once forgotten). Its end is recorded first if it was not
   * yet, and an open job the queue no longer knows is recorded lost.
   */
  async get(id: string): Promise<Job | null> {
    const job = await this.#queue.get(id);
    if (job === null) this.#lost(id);
    else if (isTerminal(job.status)) this.#settle(job);
    return job;
  }

  /** What the service knows of a job it queued, even after the queue forgot or lost it. */
  entry(id: string): LedgerEntry | null {
    return this.#ledger.get(id);
  }

  /**
   * Stops a job. One the queue no longer knows but the ledger holds open is recorded aborted
   * (and any worker still running it is told to stop).
   */
  async abort(id: string, reason?: string): Promise<AbortResult | null> {
    try {
      const result = await this.#queue.abort(id, reason);
      this.#settle(result.job);
      return result;
    } catch (error) {
      if (!(error instanceof JobNotFoundError)) throw error;
      const entry = this.#ledger.get(id);
      if (entry === null || entry.settledAt !== null) throw error;
      this.#record({
        id,
        type: entry.type,
        status: 'aborted',
        payload: entry.payload,
        result: null,
        error: serializeError(new JobAbortedError(reason)),
      } as unknown as SettledJob<J>);
      return null;
    }
  }

  wait(id: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Job> {
    return this.#queue.wait(id, options);
  }

  logs(id: string, range?: LogRange): Promise<LogLine[]> {
    return this.#queue.logs(id, range);
  }

  logCount(id: string): Promise<number> {
    return this.#queue.logCount(id);
  }

  stats(): Promise<QueueStats[]> {
    return this.#queue.stats();
  }

  /** Looks at every open job now: records ends missed and jobs lost; prunes old entries. */
  async check(): Promise<void> {
    await this.#watch.check();
    this.#ledger.prune(this.#now() - this.#retentionMs);
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.#watch.stop();
    await this.#queue.close(options);
  }

  /** Once per job: the ledger's entry moves from queued to started only once. */
  #started(job: Job): void {
    if (this.#ledger.started(job.id)) this.#onStarted?.(job.id, job);
  }

  #settle(job: Job): void {
    if (!isTerminal(job.status)) return;
    this.#record({
      id: job.id,
      type: job.type,
      status: job.status,
      payload: job.payload,
      result: job.status === 'finished' ? job.result : null,
      error: job.status === 'finished' ? null : job.error,
    } as unknown as SettledJob<J>);
  }

  /** An open job the queue no longer knows: it will never end, so it failed. */
  #lost(id: string): void {
    const entry = this.#ledger.get(id);
    if (entry === null || entry.settledAt !== null) return;
    const error = new JobLostError(id, entry.status === 'started' ? 'running' : 'queued');
    this.#logger?.warn({ jobId: id }, error.message);
    this.#record({
      id,
      type: entry.type,
      status: 'failed',
      payload: entry.payload,
      result: null,
      error: serializeError(error),
    } as unknown as SettledJob<J>);
  }

  #record(job: SettledJob<J>): void {
    try {
      this.#ledger.settle(job);
    } catch (error) {
      // Left open: the next check records it again.
      this.#logger?.error({ err: error, jobId: job.id }, 'could not record the end of a job');
    }
  }
}
