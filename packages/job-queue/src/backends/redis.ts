import { randomUUID } from 'node:crypto';
import {
  DelayedError,
  Job as BullJob,
  Queue,
  QueueEvents,
  UnrecoverableError,
  Worker,
  type JobType as BullState,
} from 'bullmq';
import { Redis } from 'ioredis';
import { GeoworksError, serializeError, UpstreamError } from '@geoworks/errors';
import {
  JobAbortedError,
  JobLostError,
  JobNotFoundError,
  JobTimeoutError,
  QueueClosedError,
  QueueUnavailableError,
} from '../errors.js';
import { Executor } from '../execution/executor.js';
import type { JobTypeRegistry } from '../job-types.js';
import { BaseJobQueue, isRetryable } from '../queue.js';
import { toStrictJson } from '../serialize.js';
import type {
  AbortResult,
  EnqueueOptions,
  Job,
  JobFilter,
  JobStatus,
  LogLevel,
  LogLine,
  LogRange,
  QueueStats,
} from '../types.js';
import {
  logText,
  parseLogLine,
  redactUrl,
  sleep,
  claimKey,
  STATES_BY_STATUS,
  toJob,
  within,
} from './redis-jobs.js';
import type { SqliteQueueInternals } from './sqlite.js';

export interface RedisBackendOptions {
  kind: 'redis';
  /** `redis://[user:password@]host:port[/db]` */
  url: string;
  /** Key prefix shared by every process of one deployment. Default `geoworks`. */
  namespace?: string;
  /**
   * false: this process only enqueues, reads and aborts; workers elsewhere (processes that
   * open the same namespace with consume true) run the jobs. Default true.
   */
  consume?: boolean;
  /** A worker that stops renewing its lock for this long is considered dead. Default 30 s. */
  lockDurationMs?: number;
  /** Finished and failed jobs are removed after this many seconds (Infinity: never). Default 7 days. */
  retentionSeconds?: number;
  /**
   * How long a call (enqueue, get, list, ...) waits for an answer from a connected Redis before
   * failing with QueueUnavailableError. While Redis is unreachable, calls fail at once. Default 5 s.
   */
  commandTimeoutMs?: number;
}

/** How long an orderly close may wait for Redis. */
const CLOSE_TIMEOUT_MS = 5000;

/** What clients are told to wait (Retry-After) when Redis cannot be reached. */
const RETRY_AFTER_SECONDS = 5;

/** ioredis's ways of saying the server is not there (or not answering). */
const CONNECTION_FAILURE =
  /Stream isn't writeable|Connection is closed|Command timed out|max retries per request|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Socket closed unexpectedly/i;

type Internals = SqliteQueueInternals;

/**
 * The distributed backend: BullMQ queues on Redis. Any number of processes on any number of
 * machines can run workers (consume: true) for the same namespace; job state, results,
 * progress and logs live in Redis and flow back to the service through it, so a service's own
 * files keep a single writer.
 */
export class RedisJobQueue extends BaseJobQueue {
  readonly backend = 'redis' as const;
  readonly #redis: Redis;
  readonly #subscriber: Redis | null;
  readonly #namespace: string;
  readonly #options: Internals;
  readonly #backend: RedisBackendOptions;
  readonly #bullQueues = new Map<string, Queue>();
  readonly #events = new Map<string, QueueEvents>();
  readonly #workers = new Map<string, Worker>();
  readonly #executor: Executor;
  readonly #processed = new Map<string, number>();
  readonly #running = new Map<string, AbortController>();
  /** Connections we made for BullMQ, which leaves connections it was given open. */
  readonly #connections: Redis[] = [];
  #closing = false;

  private constructor(
    registry: JobTypeRegistry,
    backend: RedisBackendOptions,
    options: Internals,
    redis: Redis,
  ) {
    super(registry, options);
    this.#backend = backend;
    this.#options = options;
    this.#redis = redis;
    this.#namespace = backend.namespace ?? 'geoworks';
    this.#executor = new Executor(registry.all(), {
      abortGraceMs: options.abortGraceMs,
      idleWorkersPerQueue: options.idleWorkersPerQueue,
    });
    this.#subscriber = (backend.consume ?? true) ? this.#connection() : null;
  }

  /**
   * A new connection to the same server, closed with the queue. Unlike the connection calls
   * use, it waits through outages: BullMQ's workers, event readers and our abort subscriber
   * resume on their own when Redis is back.
   */
  #connection(): Redis {
    const connection = this.#redis.duplicate({
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    connection.on('error', (error: Error) => {
      if (!this.#closing) this.#options.logger?.warn({ err: error }, 'Redis connection error');
    });
    this.#connections.push(connection);
    return connection;
  }

  static async open(
    registry: JobTypeRegistry,
    backend: RedisBackendOptions,
    options: Internals,
  ): Promise<RedisJobQueue> {
    // Calls made on behalf of a client fail fast while Redis is away (no offline queue, one
    // retry, a command timeout) instead of hanging the request for the whole outage.
    const redis = new Redis(backend.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: backend.commandTimeoutMs ?? 5000,
    });
    redis.on('error', (error: Error) =>
      options.logger?.warn({ err: error }, 'Redis connection error'),
    );
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new UpstreamError(
        `Cannot connect to Redis at ${redactUrl(backend.url)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const queue = new RedisJobQueue(registry, backend, options, redis);
    await queue.#start();
    return queue;
  }

  #key(name: string): string {
    return `${this.#namespace}:geoworks:${name}`;
  }

  async #start(): Promise<void> {
    const connection = this.#redis;
    for (const name of this.queues) {
      this.#bullQueues.set(name, new Queue(name, { connection, prefix: this.#namespace }));
      const events = new QueueEvents(name, {
        connection: this.#connection(),
        prefix: this.#namespace,
      });
      this.#events.set(name, events);
      this.#forwardEvents(name, events);
      await events.waitUntilReady();
    }
    if (this.#subscriber !== null) {
      await this.#subscriber.subscribe(this.#key('abort'));
      this.#subscriber.on('message', (_channel: string, message: string) => {
        const { id, reason } = JSON.parse(message) as { id: string; reason: string };
        this.#running.get(id)?.abort(new JobAbortedError(reason));
      });
      for (const name of this.queues) {
        const worker = new Worker(name, (job, token) => this.#process(job, token), {
          connection: this.#connection(),
          prefix: this.#namespace,
          concurrency: this.queueOptions.queues[name]?.concurrency ?? 1,
          lockDuration: this.#backend.lockDurationMs ?? 30_000,
          maxStalledCount: 1,
        });
        worker.on('error', (error) =>
          this.#options.logger?.error({ err: error, queue: name }, 'job worker error'),
        );
        // The job's lock could not be renewed: Redis lost the job (or another worker took it
        // over). Nothing this run produces can be recorded any more, so stop it now.
        worker.on('lockRenewalFailed', (ids: string[]) => {
          for (const id of ids) this.#running.get(id)?.abort(new JobLostError(id, 'running'));
        });
        this.#workers.set(name, worker);
        await worker.waitUntilReady();
      }
    }
  }

  // ---- producing --------------------------------------------------------------------------

  enqueue(type: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    return this.#guard(() => this.#enqueue(type, payload, options));
  }

  async #enqueue(type: string, payload: unknown, options: EnqueueOptions): Promise<string> {
    const job = this.prepareEnqueue(type, payload, options);
    const id = randomUUID();
    if (job.key !== null) {
      const existing = await claimKey(this.#redis, this.#key('keys'), job.key, id, (existingId) =>
        this.get(existingId),
      );
      if (existing !== null) return existing;
    }
    const retention = this.#backend.retentionSeconds ?? 7 * 24 * 3600;
    await this.#bullQueue(job.queue).add(
      job.type,
      { payload: job.payload, key: job.key, timeoutMs: job.timeoutMs },
      {
        jobId: id,
        attempts: job.attempts,
        backoff: { type: 'exponential', delay: this.#options.retryBackoffMs },
        // Infinity: kept for good.
        removeOnComplete: Number.isFinite(retention) ? { age: retention } : false,
        removeOnFail: Number.isFinite(retention) ? { age: retention } : false,
      },
    );
    return id;
  }

  get(id: string): Promise<Job | null> {
    return this.#guard(() => this.#get(id));
  }

  async #get(id: string): Promise<Job | null> {
    const found = await this.#find(String(id));
    return found === null ? null : this.#toJob(found.job, found.state);
  }

  async #find(id: string): Promise<{ job: BullJob; state: BullState | 'unknown' } | null> {
    for (const queue of this.#bullQueues.values()) {
      const job = await BullJob.fromId(queue, id);
      if (job !== undefined) return this.#withState(queue, job);
    }
    return null;
  }

  /**
   * A job's fields and its state are two reads: a job that ended between them would come out
   * finished with the fields of its running self (no result, attempt 0), so read those again.
   */
  async #withState(
    queue: Queue,
    job: BullJob,
  ): Promise<{ job: BullJob; state: BullState | 'unknown' }> {
    const state = (await job.getState()) as BullState | 'unknown';
    if ((state === 'completed' || state === 'failed') && !job.finishedOn)
      return { job: (await BullJob.fromId(queue, job.id!)) ?? job, state };
    return { job, state };
  }

  list(filter: JobFilter = {}): Promise<Job[]> {
    return this.#guard(() => this.#list(filter));
  }

  async #list(filter: JobFilter): Promise<Job[]> {
    const { limit, offset } = this.checkFilter(filter);
    const statuses: JobStatus[] =
      filter.status === undefined
        ? ['queued', 'started', 'finished', 'failed', 'aborted']
        : typeof filter.status === 'string'
          ? [filter.status]
          : [...filter.status];
    const states = [...new Set(statuses.flatMap((status) => STATES_BY_STATUS[status]))];
    const queues = filter.queue === undefined ? this.queues : [filter.queue];
    const types =
      filter.type === undefined
        ? null
        : typeof filter.type === 'string'
          ? [filter.type]
          : filter.type;
    const jobs: Job[] = [];
    for (const name of queues) {
      const bullQueue = this.#bullQueue(name);
      const bullJobs = await bullQueue.getJobs(states, 0, -1);
      for (const listed of bullJobs) {
        if (listed === undefined || listed.id === undefined) continue;
        const { job: bullJob, state } = await this.#withState(bullQueue, listed);
        const job = await this.#toJob(bullJob, state);
        if (!statuses.includes(job.status)) continue;
        if (types !== null && !types.includes(job.type)) continue;
        if (filter.key !== undefined && job.key !== filter.key) continue;
        if (filter.createdAfter !== undefined && !(job.createdAt > filter.createdAfter)) continue;
        if (filter.createdBefore !== undefined && !(job.createdAt < filter.createdBefore)) continue;
        jobs.push(job);
      }
    }
    jobs.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    return jobs.slice(offset, offset + limit);
  }

  abort(id: string, reason = 'aborted on request'): Promise<AbortResult> {
    return this.#guard(() => this.#abort(id, reason));
  }

  async #abort(id: string, reason: string): Promise<AbortResult> {
    const found = await this.#find(String(id));
    if (found === null) {
      // A worker may still run a job whose Redis state was lost: tell it to stop anyway.
      await this.#redis.publish(this.#key('abort'), JSON.stringify({ id: String(id), reason }));
      throw new JobNotFoundError(String(id));
    }
    const job = await this.#toJob(found.job, found.state);
    if (job.status !== 'queued' && job.status !== 'started') return { aborted: false, job };
    const error = serializeError(new JobAbortedError(reason));
    await this.#redis.hset(this.#key('aborted'), job.id, JSON.stringify({ at: Date.now(), error }));
    if (job.status === 'queued') {
      // It stays in BullMQ's queue but is reported aborted; a worker that picks it up ends it
      // at once. Its log says so now.
      await found.job.log(logText('warn', 'queue', error.message));
      const aborted = await this.get(job.id);
      if (aborted !== null) this.emit('aborted', aborted);
      return { aborted: true, job: aborted ?? job };
    }
    await this.#redis.publish(this.#key('abort'), JSON.stringify({ id: job.id, reason }));
    const ended = await this.wait(job.id, { timeoutMs: this.#options.abortGraceMs + 30_000 });
    return { aborted: ended.status === 'aborted', job: ended };
  }

  logs(id: string, range: LogRange = {}): Promise<LogLine[]> {
    return this.#guard(() => this.#logs(id, range));
  }

  async #logs(id: string, range: LogRange): Promise<LogLine[]> {
    const { start, end } = this.checkRange(range);
    const found = await this.#find(String(id));
    if (found === null) throw new JobNotFoundError(String(id));
    if (end !== null && end <= start) return [];
    const { logs } = await this.#bullQueue(found.job.queueName).getJobLogs(
      found.job.id!,
      start,
      end === null ? -1 : end - 1,
      true,
    );
    return logs.map((text, offset) => parseLogLine(text, start + offset));
  }

  logCount(id: string): Promise<number> {
    return this.#guard(async () => {
      const found = await this.#find(String(id));
      if (found === null) throw new JobNotFoundError(String(id));
      return (await this.#bullQueue(found.job.queueName).getJobLogs(found.job.id!, 0, 0)).count;
    });
  }

  stats(): Promise<QueueStats[]> {
    return this.#guard(() => this.#stats());
  }

  #stats(): Promise<QueueStats[]> {
    return Promise.all(
      this.queues.map(async (name) => {
        const counts = await this.#bullQueue(name).getJobCounts(
          'waiting',
          'delayed',
          'prioritized',
          'active',
          'paused',
        );
        return {
          name,
          concurrency: this.queueOptions.queues[name]?.concurrency ?? 0,
          queued:
            (counts.waiting ?? 0) +
            (counts.delayed ?? 0) +
            (counts.prioritized ?? 0) +
            (counts.paused ?? 0),
          started: counts.active ?? 0,
          processed: this.#processed.get(name) ?? 0,
        };
      }),
    );
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const graceMs = options.graceMs ?? 10_000;
    const workers = [...this.#workers.values()];
    for (const worker of workers) worker.pause(true).catch(() => undefined);
    if (this.#running.size > 0) {
      const deadline = Date.now() + graceMs;
      while (this.#running.size > 0 && Date.now() < deadline) await sleep(25);
      for (const controller of this.#running.values()) controller.abort(new QueueClosedError());
    }
    // BullMQ closes through Redis; while Redis is away that would wait for the whole outage,
    // and a service must still stop. So the orderly close gets a few seconds (none when Redis
    // is already gone), then every connection is cut, which ends whatever is still waiting.
    const reachable = this.#redis.status === 'ready';
    const orderly = (async () => {
      // Forced, a worker drops its blocking connection instead of asking Redis to close it.
      await Promise.all(workers.map((worker) => worker.close(!reachable)));
      await Promise.all([...this.#events.values()].map((events) => events.close()));
      await Promise.all([...this.#bullQueues.values()].map((queue) => queue.close()));
    })().catch((error: unknown) =>
      this.#options.logger?.warn({ err: error }, 'job queue did not close cleanly'),
    );
    await within(orderly, reachable ? CLOSE_TIMEOUT_MS : 0);
    this.#executor.close();
    for (const connection of this.#connections) connection.disconnect();
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
    await within(orderly, CLOSE_TIMEOUT_MS);
  }

  // ---- consuming --------------------------------------------------------------------------

  async #process(job: BullJob, token: string | undefined): Promise<unknown> {
    const id = job.id!;
    const data = job.data as { payload: unknown; timeoutMs: number | null };
    const abortMark = await this.#redis.hget(this.#key('aborted'), id);
    if (abortMark !== null) throw new UnrecoverableError('Job aborted before it started');

    const controller = new AbortController();
    this.#running.set(id, controller);
    const timeout =
      data.timeoutMs === null
        ? undefined
        : setTimeout(
            () => controller.abort(new JobTimeoutError(data.timeoutMs ?? 0)),
            data.timeoutMs,
          );
    let logCount = (await this.#bullQueue(job.queueName).getJobLogs(id, 0, 0)).count;
    let pending: Promise<unknown> = Promise.resolve();
    const writeLog = (level: LogLevel, source: string, message: string) => {
      if (logCount > this.#options.maxLogLinesPerJob) return;
      logCount++;
      const text =
        logCount > this.#options.maxLogLinesPerJob
          ? logText(
              'warn',
              'queue',
              `Log limit of ${this.#options.maxLogLinesPerJob} lines reached; later lines are dropped`,
            )
          : logText(level, source, message);
      pending = pending.then(() => job.log(text)).catch(() => undefined);
    };
    try {
      const definition = this.registry.get(job.name);
      const result = await this.#executor.run(definition, {
        jobId: id,
        type: job.name,
        attempt: job.attemptsMade + 1,
        payload: data.payload,
        queue: job.queueName,
        signal: controller.signal,
        onLog: (level, message, source) => writeLog(level, source, message),
        onProgress: (percent) => {
          pending = pending.then(() => job.updateProgress(percent)).catch(() => undefined);
        },
      });
      toStrictJson(result ?? null, 'The job result');
      await pending;
      return result ?? null;
    } catch (error) {
      if (error instanceof QueueClosedError && token !== undefined) {
        writeLog('warn', 'queue', 'Handed back to the queue: the worker is shutting down');
        await pending;
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (error instanceof JobLostError) {
        // Its keys are gone: writing a log line or an error now would only leave strays.
        this.#options.logger?.warn({ jobId: id }, error.message);
        throw new UnrecoverableError(error.message);
      }
      const serialized = serializeError(error);
      if (!(error instanceof JobAbortedError)) {
        writeLog(
          'critical',
          'queue',
          serialized.stack ?? `${serialized.name}: ${serialized.message}`,
        );
      } else {
        writeLog('warn', 'queue', serialized.message);
      }
      await pending;
      await this.#redis.hset(this.#key('errors'), id, JSON.stringify(serialized));
      if (!isRetryable(error)) throw new UnrecoverableError(serialized.message);
      throw error;
    } finally {
      clearTimeout(timeout);
      this.#running.delete(id);
    }
  }

  #forwardEvents(name: string, events: QueueEvents): void {
    const forward = (jobId: string, handle: (job: Job) => void) => {
      this.get(jobId).then(
        (job) => {
          if (job !== null) handle(job);
        },
        () => undefined,
      );
    };
    events.on('active', ({ jobId }) => forward(jobId, (job) => this.emit('started', job)));
    events.on('progress', ({ jobId }) => forward(jobId, (job) => this.emit('progress', job)));
    events.on('completed', ({ jobId }) =>
      forward(jobId, (job) => {
        this.#processed.set(name, (this.#processed.get(name) ?? 0) + 1);
        this.emit('finished', job);
      }),
    );
    // A failed attempt that will be retried comes back as `delayed` (backoff) or `waiting`.
    const retrying = ({ jobId }: { jobId: string }) =>
      forward(jobId, (job) => {
        if (job.status === 'queued' && job.attempt > 0 && job.error !== null)
          this.emit('retrying', job);
      });
    events.on('delayed', retrying);
    events.on('waiting', ({ jobId, prev }) => {
      if (prev === 'failed') retrying({ jobId });
    });
    events.on('failed', ({ jobId }) =>
      forward(jobId, (job) => {
        if (job.status === 'queued') {
          this.emit('retrying', job);
          return;
        }
        this.#processed.set(name, (this.#processed.get(name) ?? 0) + 1);
        this.emit(job.status === 'aborted' ? 'aborted' : 'failed', job);
      }),
    );
  }

  async #toJob(job: BullJob, state: BullState | 'unknown'): Promise<Job> {
    const [abortMark, storedError] = await Promise.all([
      this.#redis.hget(this.#key('aborted'), job.id!),
      this.#redis.hget(this.#key('errors'), job.id!),
    ]);
    return toJob(job, state, abortMark, storedError);
  }

  #bullQueue(name: string): Queue {
    const queue = this.#bullQueues.get(name);
    if (queue === undefined) throw new Error(`Queue ${name} is not open`);
    return queue;
  }

  #checkOpen(): void {
    if (this.#closing) throw new QueueClosedError();
  }

  /** Runs a client's call; Redis being away becomes QueueUnavailableError (HTTP 503). */
  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    try {
      return await operation();
    } catch (error) {
      if (error instanceof Error && !(error instanceof GeoworksError)) {
        const down = this.#redis.status !== 'ready';
        if (down || CONNECTION_FAILURE.test(error.message)) {
          throw new QueueUnavailableError(
            down ? `Redis is unreachable (${this.#redis.status})` : 'Redis is not answering',
            RETRY_AFTER_SECONDS,
            error,
          );
        }
      }
      throw error;
    }
  }
}
