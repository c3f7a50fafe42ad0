import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { serializeError } from '@geoworks/errors';
import {
  JobAbortedError,
  JobInterruptedError,
  JobNotFoundError,
  JobTimeoutError,
  QueueClosedError,
  QueueLockedError,
} from '../errors.js';
import { Executor } from '../execution/executor.js';
import type { JobTypeRegistry } from '../job-types.js';
import { BaseJobQueue, isRetryable, retryDelay, type BaseQueueOptions } from '../queue.js';
import { toStrictJson } from '../serialize.js';
import { prepareStatements, SCHEMA, SCHEMA_VERSION, toJob, type JobRow } from './sqlite-schema.js';
import type {
  AbortResult,
  EnqueueOptions,
  Job,
  JobFilter,
  JobStatus,
  LogLevel,
  LogLine,
  LogRange,
  QueueLogger,
  QueueStats,
} from '../types.js';

export interface SqliteBackendOptions {
  kind: 'sqlite';
  /** Database file; created with its folder if missing. `:memory:` for a throw-away queue. */
  file: string;
  /**
   * false: this process only enqueues, reads and aborts; the process that owns the file runs
   * the jobs (it polls for work added by others). Default true.
   */
  consume?: boolean;
  /** How often the owner looks for jobs enqueued or aborted by other processes. */
  pollIntervalMs?: number;
  /** An owner that has not written its heartbeat for this long is considered dead. */
  staleOwnerMs?: number;
  /**
   * Finished, failed and aborted jobs (with their logs) are removed this long after they
   * ended, as Redis does; the owner sweeps at most once a minute. Default 7 days; Infinity:
   * kept for good.
   */
  retentionSeconds?: number;
}

export interface SqliteQueueInternals extends BaseQueueOptions {
  abortGraceMs: number;
  retryBackoffMs: number;
  idleWorkersPerQueue: number;
  maxLogLinesPerJob: number;
  logger: QueueLogger | undefined;
  /** The clock retention is measured on (ms since the epoch). */
  now: () => number;
}

/** How often the owner removes jobs past their retention. */
const SWEEP_INTERVAL_MS = 60_000;

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The embedded backend: one SQLite file (WAL) holds jobs and their logs, and the process that
 * owns the file runs them. Durable: a job survives restarts, and a job that was running when
 * its process died is failed (or retried) at the next start, never left `started`.
 */
export class SqliteJobQueue extends BaseJobQueue {
  readonly backend = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #options: SqliteQueueInternals;
  readonly #consume: boolean;
  readonly #instance = randomUUID();
  readonly #executor: Executor;
  readonly #running = new Map<string, RunningJob>();
  readonly #runningPerQueue = new Map<string, number>();
  readonly #processed = new Map<string, number>();
  readonly #pumpScheduled = new Set<string>();
  #delayedTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #closed = false;
  readonly #retentionMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;
  readonly #sql: ReturnType<typeof prepareStatements>;

  constructor(
    registry: JobTypeRegistry,
    backend: SqliteBackendOptions,
    options: SqliteQueueInternals,
  ) {
    super(registry, options);
    this.#file = backend.file;
    this.#options = options;
    this.#consume = backend.consume ?? true;
    this.#retentionMs = (backend.retentionSeconds ?? 7 * 24 * 3600) * 1000;
    if (backend.file !== ':memory:') mkdirSync(dirname(backend.file), { recursive: true });
    this.#db = new Database(backend.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
    this.#sql = prepareStatements(this.#db);
    this.#executor = new Executor(registry.all(), {
      abortGraceMs: options.abortGraceMs,
      idleWorkersPerQueue: options.idleWorkersPerQueue,
    });
    if (this.#consume) {
      this.#acquireOwnership(backend.staleOwnerMs ?? 15_000);
      const staleMs = backend.staleOwnerMs ?? 15_000;
      this.#heartbeatTimer = setInterval(
        () => this.#heartbeat(),
        Math.max(50, staleMs / 3),
      ).unref();
      this.#pollTimer = setInterval(() => this.#poll(), backend.pollIntervalMs ?? 1000).unref();
      for (const queue of this.queues) this.#schedulePump(queue);
    }
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `Job queue ${this.#file} was written by a newer version (schema ${version}, this one knows ${SCHEMA_VERSION})`,
      );
    }
    this.#db.exec(SCHEMA);
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  // ---- ownership and crash recovery -------------------------------------------------------

  #acquireOwnership(staleMs: number): void {
    const host = hostname();
    this.#db
      .transaction(() => {
        const owner = this.#sql.getOwner.get() as
          { instance: string; pid: number; host: string; heartbeat_at: number } | undefined;
        if (owner !== undefined) {
          const fresh = Date.now() - owner.heartbeat_at < staleMs;
          const alive = owner.host !== host || isProcessAlive(owner.pid);
          if (fresh && alive) {
            throw new QueueLockedError(this.#file, `pid ${owner.pid} on ${owner.host}`);
          }
        }
        this.#sql.setOwner.run(this.#instance, process.pid, host, Date.now());
        const description =
          owner === undefined
            ? 'the process running it stopped'
            : `the process running it (pid ${owner.pid} on ${owner.host}) stopped`;
        for (const row of this.#sql.startedJobs.all() as JobRow[]) {
          this.#endAttempt(row, new JobInterruptedError(description), { retry: true });
        }
      })
      .immediate();
  }

  #heartbeat(): void {
    if (this.#closed) return;
    this.#sql.heartbeat.run(Date.now(), this.#instance);
  }

  /** Picks up work other processes added, and aborts they requested. */
  #poll(): void {
    if (this.#closing) return;
    for (const queue of this.queues) this.#schedulePump(queue);
    for (const row of this.#sql.abortRequests.all() as { id: string; abort_requested: string }[]) {
      this.#running.get(row.id)?.controller.abort(new JobAbortedError(row.abort_requested));
    }
    this.#removeExpired();
  }

  /** Ended jobs past their retention go, logs first, so the file does not grow forever. */
  #removeExpired(): void {
    if (!Number.isFinite(this.#retentionMs)) return;
    const now = this.#options.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    const before = now - this.#retentionMs;
    this.#db.transaction(() => {
      this.#sql.deleteExpiredLogs.run(before);
      this.#sql.deleteExpiredJobs.run(before);
    })();
  }

  // ---- producing --------------------------------------------------------------------------

  async enqueue(type: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    this.#checkOpen();
    const job = this.prepareEnqueue(type, payload, options);
    const now = this.#options.now();
    const id = this.#db
      .transaction(() => {
        if (job.key !== null) {
          const existing = this.#sql.activeByKey.get(job.key) as { id: string } | undefined;
          if (existing !== undefined) return existing.id;
        }
        const newId = randomUUID();
        this.#sql.insert.run(
          newId,
          job.type,
          job.queue,
          job.key,
          job.payloadJson,
          job.attempts,
          job.timeoutMs,
          now,
          now,
        );
        return newId;
      })
      .immediate();
    if (this.#consume) this.#schedulePump(job.queue);
    return id;
  }

  async get(id: string): Promise<Job | null> {
    this.#checkOpen();
    const row = this.#sql.byId.get(String(id)) as JobRow | undefined;
    return row === undefined ? null : toJob(row);
  }

  async list(filter: JobFilter = {}): Promise<Job[]> {
    this.#checkOpen();
    const { limit, offset } = this.checkFilter(filter);
    const where: string[] = [];
    const params: unknown[] = [];
    const addIn = (column: string, value: string | readonly string[] | undefined) => {
      if (value === undefined) return;
      const values = typeof value === 'string' ? [value] : [...value];
      if (values.length === 0) {
        where.push('0');
        return;
      }
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    addIn('status', filter.status);
    addIn('type', filter.type);
    addIn('queue', filter.queue);
    addIn('key', filter.key);
    if (filter.createdAfter !== undefined) {
      where.push('created_at > ?');
      params.push(filter.createdAfter.getTime());
    }
    if (filter.createdBefore !== undefined) {
      where.push('created_at < ?');
      params.push(filter.createdBefore.getTime());
    }
    const sql =
      `SELECT * FROM jobs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ' ORDER BY seq DESC LIMIT ? OFFSET ?';
    const rows = this.#db.prepare(sql).all(...params, limit, offset) as JobRow[];
    return rows.map(toJob);
  }

  async abort(id: string, reason = 'aborted on request'): Promise<AbortResult> {
    this.#checkOpen();
    const row = this.#sql.byId.get(String(id)) as JobRow | undefined;
    if (row === undefined) throw new JobNotFoundError(String(id));
    if (row.status === 'queued') {
      const error = new JobAbortedError(reason);
      const changed = this.#sql.abortQueued.run(
        this.#options.now(),
        JSON.stringify(serializeError(error)),
        row.id,
      );
      if (changed.changes > 0) {
        this.#appendLog(row.id, 'warn', 'queue', error.message);
        const job = this.#require(row.id);
        this.emit('aborted', job);
        return { aborted: true, job };
      }
      return this.abort(id, reason); // it started in the meantime
    }
    if (row.status === 'started') {
      const running = this.#running.get(row.id);
      if (running !== undefined) {
        running.controller.abort(new JobAbortedError(reason));
        await running.done;
      } else {
        // Running in the process that owns the file: ask it, and wait for the outcome.
        this.#sql.requestAbort.run(reason, row.id);
        await this.wait(row.id, { timeoutMs: this.#options.abortGraceMs + 30_000 });
      }
      const job = this.#require(row.id);
      return { aborted: job.status === 'aborted', job };
    }
    return { aborted: false, job: toJob(row) };
  }

  async logs(id: string, range: LogRange = {}): Promise<LogLine[]> {
    this.#checkOpen();
    const { start, end } = this.checkRange(range);
    this.#require(String(id));
    const rows = this.#sql.logs.all(String(id), start, end ?? Number.MAX_SAFE_INTEGER) as {
      idx: number;
      time: number;
      level: LogLevel;
      source: string;
      message: string;
    }[];
    return rows.map((row) => ({
      index: row.idx,
      time: new Date(row.time),
      level: row.level,
      source: row.source,
      message: row.message,
    }));
  }

  async logCount(id: string): Promise<number> {
    this.#checkOpen();
    this.#require(String(id));
    return (this.#sql.logCount.get(String(id)) as { n: number }).n;
  }

  async stats(): Promise<QueueStats[]> {
    this.#checkOpen();
    const counts = this.#sql.counts.all() as { queue: string; status: JobStatus; n: number }[];
    return this.queues.map((name) => {
      const count = (status: JobStatus) =>
        counts.find((row) => row.queue === name && row.status === status)?.n ?? 0;
      return {
        name,
        concurrency: this.queueOptions.queues[name]?.concurrency ?? 0,
        queued: count('queued'),
        started: count('started'),
        processed: this.#processed.get(name) ?? 0,
      };
    });
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#delayedTimer);
    const running = [...this.#running.values()];
    if (running.length > 0) {
      const graceMs = options.graceMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(running.map((job) => job.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      for (const job of this.#running.values()) job.controller.abort(new QueueClosedError());
      await Promise.all([...this.#running.values()].map((job) => job.done));
    }
    this.#executor.close();
    clearInterval(this.#heartbeatTimer);
    if (this.#consume) this.#sql.releaseOwner.run(this.#instance);
    this.#closed = true;
    this.#db.close();
  }

  // ---- consuming --------------------------------------------------------------------------

  #schedulePump(queue: string): void {
    if (this.#pumpScheduled.has(queue) || this.#closing) return;
    this.#pumpScheduled.add(queue);
    setImmediate(() => {
      this.#pumpScheduled.delete(queue);
      this.#pump(queue);
    });
  }

  #pump(queue: string): void {
    if (this.#closing) return;
    const concurrency = this.queueOptions.queues[queue]?.concurrency ?? 1;
    const now = this.#options.now();
    while ((this.#runningPerQueue.get(queue) ?? 0) < concurrency) {
      const row = this.#sql.claim.get(now, queue, now) as JobRow | undefined;
      if (row === undefined) break;
      this.#runningPerQueue.set(queue, (this.#runningPerQueue.get(queue) ?? 0) + 1);
      this.#start(row);
    }
    this.#armDelayedTimer();
  }

  /** Wakes the pump when the earliest retry becomes due. */
  #armDelayedTimer(): void {
    const next = this.#sql.nextDelayed.get(this.#options.now()) as
      { run_after: number } | undefined;
    clearTimeout(this.#delayedTimer);
    if (next === undefined) return;
    this.#delayedTimer = setTimeout(
      () => {
        for (const queue of this.queues) this.#schedulePump(queue);
      },
      Math.max(0, next.run_after - this.#options.now()),
    ).unref();
  }

  #start(row: JobRow): void {
    const controller = new AbortController();
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    this.#running.set(row.id, { controller, done });
    const timeout =
      row.timeout_ms === null
        ? undefined
        : setTimeout(
            () => controller.abort(new JobTimeoutError(row.timeout_ms ?? 0)),
            row.timeout_ms,
          );
    this.emit('started', toJob(row));

    const finish = (settle: () => void) => {
      clearTimeout(timeout);
      try {
        settle();
      } catch (error) {
        this.#options.logger?.error(
          { err: error, jobId: row.id },
          'could not record the end of a job',
        );
      }
      this.#running.delete(row.id);
      this.#runningPerQueue.set(row.queue, (this.#runningPerQueue.get(row.queue) ?? 1) - 1);
      resolveDone();
      this.#schedulePump(row.queue);
    };

    let definition;
    try {
      definition = this.registry.get(row.type);
    } catch (error) {
      finish(() => this.#endAttempt(row, error, { retry: false }));
      return;
    }
    let lastProgress = -1;
    this.#executor
      .run(definition, {
        jobId: row.id,
        type: row.type,
        attempt: row.attempt,
        payload: JSON.parse(row.payload) as unknown,
        queue: row.queue,
        signal: controller.signal,
        onLog: (level, message, source) => {
          if (!this.#closed) this.#appendLog(row.id, level, source, message);
        },
        onProgress: (percent) => {
          if (this.#closed || percent === lastProgress) return;
          lastProgress = percent;
          this.#sql.progress.run(percent, row.id);
          const job = this.#require(row.id);
          this.emit('progress', job);
        },
      })
      .then(
        (result) =>
          finish(() => {
            let resultJson: string;
            try {
              resultJson = toStrictJson(result ?? null, 'The job result');
            } catch (error) {
              this.#endAttempt(row, error, { retry: false });
              return;
            }
            this.#sql.finish.run(resultJson, this.#options.now(), row.id);
            this.#processedOne(row.queue);
            this.emit('finished', this.#require(row.id));
          }),
        (error: unknown) => finish(() => this.#endAttempt(row, error, { retry: true })),
      );
  }

  /** Records a failed, aborted, handed-back or interrupted attempt, retrying when allowed. */
  #endAttempt(row: JobRow, error: unknown, options: { retry: boolean }): void {
    const now = this.#options.now();
    if (error instanceof QueueClosedError) {
      // Shutdown, not the job's fault: it goes back to the queue and this attempt is not counted.
      this.#sql.requeue.run(now, Math.max(0, row.attempt - 1), row.id);
      this.#appendLog(
        row.id,
        'warn',
        'queue',
        'Handed back to the queue: the service is shutting down',
      );
      return;
    }
    const serialized = serializeError(error);
    if (error instanceof JobAbortedError) {
      this.#sql.end.run('aborted', JSON.stringify(serialized), now, row.id);
      this.#appendLog(row.id, 'warn', 'queue', serialized.message);
      this.#processedOne(row.queue);
      this.emit('aborted', this.#require(row.id));
      return;
    }
    this.#appendLog(
      row.id,
      'critical',
      'queue',
      serialized.stack ?? `${serialized.name}: ${serialized.message}`,
    );
    if (options.retry && isRetryable(error) && row.attempt < row.max_attempts) {
      const delay = retryDelay(this.#options.retryBackoffMs, row.attempt);
      this.#sql.retry.run(now + delay, JSON.stringify(serialized), row.id);
      this.#appendLog(
        row.id,
        'warn',
        'queue',
        `Attempt ${row.attempt} of ${row.max_attempts} failed; retrying in ${delay} ms`,
      );
      this.emit('retrying', this.#require(row.id));
      return;
    }
    this.#sql.end.run('failed', JSON.stringify(serialized), now, row.id);
    this.#processedOne(row.queue);
    this.emit('failed', this.#require(row.id));
  }

  #processedOne(queue: string): void {
    this.#processed.set(queue, (this.#processed.get(queue) ?? 0) + 1);
  }

  /**
   * One log line at the next index, the last index being read through the primary key (O(log n)
   * however long the log). Past the limit lines are dropped; the first dropped one leaves a note.
   */
  #appendLog(id: string, level: LogLevel, source: string, message: string): void {
    const limit = this.#options.maxLogLinesPerJob;
    this.#db
      .transaction(() => {
        const last = this.#sql.lastLogIndex.get(id) as { idx: number } | undefined;
        const next = last === undefined ? 0 : last.idx + 1;
        if (next < limit) {
          this.#sql.insertLog.run(id, next, this.#options.now(), level, source, message);
        } else if (next === limit) {
          const note = `Log limit of ${limit} lines reached; later lines are dropped`;
          this.#sql.insertLog.run(id, next, this.#options.now(), 'warn', 'queue', note);
        }
      })
      .immediate();
  }

  #require(id: string): Job {
    const row = this.#sql.byId.get(id) as JobRow | undefined;
    if (row === undefined) throw new JobNotFoundError(id);
    return toJob(row);
  }

  #checkOpen(): void {
    if (this.#closed || this.#closing) throw new QueueClosedError();
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
