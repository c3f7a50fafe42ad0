import { moduleUrl } from '../job-types.js';
import type { InlineJobType, JobType, LogLevel } from '../types.js';
import { createJobContext } from './context.js';
import { WorkerHandle, type WorkerKind } from './worker-handle.js';

export interface Execution {
  jobId: string;
  type: string;
  attempt: number;
  payload: unknown;
  /** Named queue the job runs in; each queue has its own workers. */
  queue: string;
  /** Aborted with the reason to report (a JobAbortedError or a JobTimeoutError). */
  signal: AbortSignal;
  onLog(level: LogLevel, message: string, source: string): void;
  onProgress(percent: number): void;
}

export interface ExecutorOptions {
  /** How long a handler may take to wind down after an abort before it is killed. */
  abortGraceMs: number;
  /** Idle workers above this many per queue and kind are ended. */
  idleWorkersPerQueue: number;
}

const INLINE_SOURCE = `pid-${process.pid}`;

/**
 * Runs handlers where their job type says: inline, in a pool of worker threads, or in a pool
 * of child processes (one pool of each kind per named queue, so queues never share workers).
 */
export class Executor {
  readonly #options: ExecutorOptions;
  readonly #pools = new Map<string, WorkerHandle[]>();
  readonly #handlerModules: string[];
  #closed = false;

  constructor(types: readonly JobType[], options: ExecutorOptions) {
    this.#options = options;
    this.#handlerModules = types.flatMap((definition) =>
      definition.isolation === 'thread' || definition.isolation === 'process'
        ? [moduleUrl(definition.module)]
        : [],
    );
  }

  async run(definition: JobType, execution: Execution): Promise<unknown> {
    if (definition.isolation === 'thread' || definition.isolation === 'process') {
      const worker = this.#acquire(execution.queue, definition.isolation);
      try {
        return await worker.run({
          message: {
            kind: 'run',
            jobId: execution.jobId,
            type: execution.type,
            attempt: execution.attempt,
            payload: execution.payload,
            module: moduleUrl(definition.module),
            exportName: definition.exportName ?? 'default',
          },
          signal: execution.signal,
          onLog: execution.onLog,
          onProgress: execution.onProgress,
        });
      } finally {
        this.#release(execution.queue, definition.isolation, worker, definition.maxJobsPerWorker);
      }
    }
    return runInline(definition as InlineJobType, execution, this.#options.abortGraceMs);
  }

  /** Ends every worker; running jobs see their worker crash, so abort them first. */
  close(): void {
    this.#closed = true;
    for (const pool of this.#pools.values()) for (const worker of pool) worker.terminate();
    this.#pools.clear();
  }

  #acquire(queue: string, kind: WorkerKind): WorkerHandle {
    const pool = this.#pool(queue, kind);
    const idle = pool.find((worker) => worker.alive && !worker.busy);
    if (idle !== undefined) return idle;
    const worker = new WorkerHandle(kind, {
      handlerModules: this.#handlerModules,
      abortGraceMs: this.#options.abortGraceMs,
      onExit: (handle) => {
        const index = pool.indexOf(handle);
        if (index >= 0) pool.splice(index, 1);
      },
    });
    pool.push(worker);
    return worker;
  }

  #release(
    queue: string,
    kind: WorkerKind,
    worker: WorkerHandle,
    maxJobsPerWorker = Infinity,
  ): void {
    if (!worker.alive) return;
    const pool = this.#pool(queue, kind);
    const idleCount = pool.filter((w) => w.alive && !w.busy).length;
    if (
      this.#closed ||
      worker.jobsRun >= maxJobsPerWorker ||
      idleCount > this.#options.idleWorkersPerQueue
    ) {
      worker.terminate();
    }
  }

  #pool(queue: string, kind: WorkerKind): WorkerHandle[] {
    const key = `${queue}\u0000${kind}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = [];
      this.#pools.set(key, pool);
    }
    return pool;
  }
}

function runInline(
  definition: InlineJobType,
  execution: Execution,
  abortGraceMs: number,
): Promise<unknown> {
  const { signal } = execution;
  let ended = false;
  const context = createJobContext(execution, signal, {
    log: (level, message) => {
      if (!ended) execution.onLog(level, message, INLINE_SOURCE);
    },
    progress: (percent) => {
      if (!ended) execution.onProgress(percent);
    },
  });
  return new Promise((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (ended) return;
      ended = true;
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    // An inline handler cannot be killed: once aborted it gets a grace period to stop, then
    // the job is reported aborted whatever the handler goes on doing.
    const onAbort = () => {
      graceTimer = setTimeout(() => finish(() => reject(signal.reason)), abortGraceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => definition.handler(execution.payload, context))
      .then(
        (result) => finish(() => (signal.aborted ? reject(signal.reason) : resolve(result))),
        (error: unknown) => finish(() => reject(signal.aborted ? signal.reason : error)),
      );
  });
}
