import type { SerializedError } from '@geoworks/errors';

/** Where a job is in its life. `finished`, `failed` and `aborted` are terminal. */
export type JobStatus = 'queued' | 'started' | 'finished' | 'failed' | 'aborted';

export const TERMINAL_STATUSES: readonly JobStatus[] = ['finished', 'failed', 'aborted'];

export function isTerminal(status: JobStatus): boolean {
  return status === 'finished' || status === 'failed' || status === 'aborted';
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'critical'];

/** One line of a job's log. `index` counts from 0 in the order lines were written. */
export interface LogLine {
  index: number;
  time: Date;
  level: LogLevel;
  /** Who wrote it: the worker (`thread-3`, `pid-1234`), `queue` for lines the queue adds. */
  source: string;
  message: string;
}

export interface Job<Payload = unknown, Result = unknown> {
  id: string;
  type: string;
  queue: string;
  /** Deduplication key given at enqueue time, if any. */
  key: string | null;
  status: JobStatus;
  payload: Payload;
  /** 0 to 100, as last reported by the handler (100 once finished). */
  progress: number;
  result: Result | null;
  error: SerializedError | null;
  /** Attempts made so far (0 while first queued). */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface EnqueueOptions {
  /** Named queue; defaults to the job type's queue, then to the queue's default. */
  queue?: string;
  /**
   * Deduplication key: while a job with this key is queued, started or finished, enqueueing
   * again returns that job's id instead of creating a new job. Failed or aborted jobs do not
   * count, so a failed job can be retried by enqueueing it again.
   */
  key?: string;
  /** The job fails with a JobTimeoutError once it has run this long (per attempt). */
  timeoutMs?: number;
  /** Total attempts, first run included; failures (not aborts) are retried with backoff. */
  attempts?: number;
}

export interface JobFilter {
  status?: JobStatus | readonly JobStatus[];
  type?: string | readonly string[];
  queue?: string;
  key?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** Newest first; default 100, at most 10,000. */
  limit?: number;
  offset?: number;
}

export interface LogRange {
  /** First line index, inclusive (default 0). */
  start?: number;
  /** Line index to stop before, exclusive (default: all lines so far). */
  end?: number;
}

export interface AbortResult {
  /** True when this call stopped the job; false when it had already ended. */
  aborted: boolean;
  job: Job;
}

export interface QueueStats {
  name: string;
  concurrency: number;
  queued: number;
  started: number;
  /** Jobs that reached a terminal status since this JobQueue was opened. */
  processed: number;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  readonly type: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the job is aborted or times out: stop work and throw (or return). */
  readonly signal: AbortSignal;
  /** Report progress, 0 to 100. */
  progress(percent: number): void;
  readonly log: JobLogger;
}

export interface JobLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

export type JobHandler<Payload = unknown, Result = unknown> = (
  payload: Payload,
  context: JobContext,
) => Result | Promise<Result>;

/**
 * Where a handler runs. `inline` shares the caller's event loop (for I/O-bound work);
 * `thread` runs it in a worker thread, `process` in a child process: both keep CPU-heavy
 * work off the HTTP event loop and can be stopped by force.
 */
export type Isolation = 'inline' | 'thread' | 'process';

interface JobTypeBase<Payload> {
  /** Unique name, used in enqueue(). */
  type: string;
  /** Default queue for jobs of this type. */
  queue?: string;
  timeoutMs?: number;
  attempts?: number;
  /**
   * Checks and normalises a payload at enqueue time; throw (ideally an InvalidInputError) to
   * refuse it. Runs in the enqueueing process.
   */
  validate?(payload: unknown): Payload;
}

export interface InlineJobType<Payload = unknown, Result = unknown> extends JobTypeBase<Payload> {
  isolation?: 'inline';
  // Method syntax on purpose: it lets a list of job types with different payloads be one
  // JobType[] (parameters of methods are checked bivariantly).
  handler(payload: Payload, context: JobContext): Result | Promise<Result>;
}

export interface IsolatedJobType<Payload = unknown> extends JobTypeBase<Payload> {
  isolation: 'thread' | 'process';
  /** Module (file URL or absolute path) that exports the handler; loaded inside the worker. */
  module: string | URL;
  /** Name of the export; default `default`. */
  exportName?: string;
  /**
   * Jobs a worker runs before it is replaced by a fresh one. 1 gives every job its own
   * process or thread; default: unlimited.
   */
  maxJobsPerWorker?: number;
}

export type JobType<Payload = unknown, Result = unknown> =
  InlineJobType<Payload, Result> | IsolatedJobType<Payload>;

export type JobEventName = 'started' | 'progress' | 'retrying' | 'finished' | 'failed' | 'aborted';

export interface JobEvents {
  started: [job: Job];
  progress: [job: Job];
  retrying: [job: Job];
  finished: [job: Job];
  failed: [job: Job];
  aborted: [job: Job];
}

/** Minimal logger interface; a pino logger satisfies it. */
export interface QueueLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
