import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { deserializeError } from '@geoworks/errors';
import { forkModule, siblingModule, startThread } from '@geoworks/workers';
import { WorkerCrashedError } from '../errors.js';
import type { LogLevel } from '../types.js';
import type { FromWorker, ToWorker } from './protocol.js';

export type WorkerKind = 'thread' | 'process';

export interface WorkerTask {
  message: Extract<ToWorker, { kind: 'run' }>;
  signal: AbortSignal;
  onLog(level: LogLevel, message: string, source: string): void;
  onProgress(percent: number): void;
}

/**
 * One worker thread or child process that runs jobs one at a time. Abort asks nicely first
 * (an abort message to a thread, SIGINT to a process) and kills after `abortGraceMs`.
 */
export class WorkerHandle {
  readonly kind: WorkerKind;
  readonly source: string;
  jobsRun = 0;
  #thread: Worker | null = null;
  #child: ChildProcess | null = null;
  #alive = true;
  /** Set once the worker was told to die: it takes no new job even before its exit arrives. */
  #retired = false;
  #current: {
    task: WorkerTask;
    resolve(value: unknown): void;
    reject(error: unknown): void;
    killTimer?: NodeJS.Timeout;
  } | null = null;
  readonly #abortGraceMs: number;
  readonly #onExit: (handle: WorkerHandle) => void;

  constructor(
    kind: WorkerKind,
    options: {
      /** Handler modules the worker will load (TypeScript ones need tsx in the worker). */
      handlerModules: string[];
      abortGraceMs: number;
      onExit(handle: WorkerHandle): void;
    },
  ) {
    this.kind = kind;
    this.#abortGraceMs = options.abortGraceMs;
    this.#onExit = options.onExit;
    if (kind === 'thread') {
      const thread = startThread(siblingModule(import.meta.url, 'thread-entry'), {
        alsoLoads: options.handlerModules,
        stdout: true,
        stderr: true,
      });
      this.#thread = thread;
      this.source = `thread-${thread.threadId}`;
      thread.on('message', (message: FromWorker) => this.#handleMessage(message));
      thread.on('error', (error) => this.#handleExit(`failed: ${error.message}`));
      thread.on('exit', (code) => this.#handleExit(`exited with code ${code}`));
      this.#pipeOutput(thread.stdout, 'info');
      this.#pipeOutput(thread.stderr, 'warn');
    } else {
      const child = forkModule(siblingModule(import.meta.url, 'process-entry'), [], {
        alsoLoads: options.handlerModules,
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: a Ctrl-C in the terminal reaches the service, which decides
        // what happens to running jobs, instead of aborting every job behind its back.
        detached: true,
      });
      this.#child = child;
      this.source = `pid-${child.pid ?? 'unknown'}`;
      child.on('message', (message: FromWorker) => this.#handleMessage(message));
      child.on('error', (error) => this.#handleExit(`failed: ${error.message}`));
      child.on('exit', (code, signal) =>
        this.#handleExit(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
      );
      if (child.stdout !== null) this.#pipeOutput(child.stdout, 'info');
      if (child.stderr !== null) this.#pipeOutput(child.stderr, 'warn');
    }
  }

  get alive(): boolean {
    return this.#alive && !this.#retired;
  }

  get busy(): boolean {
    return this.#current !== null;
  }

  run(task: WorkerTask): Promise<unknown> {
    if (!this.alive) return Promise.reject(new WorkerCrashedError('had already exited'));
    if (this.#current !== null)
      return Promise.reject(new Error('WorkerHandle.run: worker is busy'));
    this.jobsRun++;
    return new Promise((resolve, reject) => {
      this.#current = { task, resolve, reject };
      if (task.signal.aborted) {
        this.#abort(task);
        return;
      }
      task.signal.addEventListener('abort', () => this.#abort(task), { once: true });
      this.#send(task.message);
    });
  }

  /** Ends the worker now (used on close and to discard a worker). */
  terminate(): void {
    if (!this.#alive) return;
    this.#retired = true;
    if (this.#thread !== null) void this.#thread.terminate();
    if (this.#child !== null) this.#child.kill('SIGKILL');
  }

  #send(message: ToWorker): void {
    if (this.#thread !== null) this.#thread.postMessage(message);
    else this.#child?.send(message);
  }

  #abort(task: WorkerTask): void {
    const current = this.#current;
    if (current === null || current.task !== task || !this.#alive) return;
    if (this.#child !== null) this.#child.kill('SIGINT');
    else
      this.#send({
        kind: 'abort',
        reason: String((task.signal.reason as Error)?.message ?? 'aborted'),
      });
    current.killTimer = setTimeout(() => this.terminate(), this.#abortGraceMs);
  }

  #handleMessage(message: FromWorker): void {
    const current = this.#current;
    if (current === null) return;
    switch (message.kind) {
      case 'log':
        current.task.onLog(message.level, message.message, this.source);
        return;
      case 'progress':
        current.task.onProgress(message.percent);
        return;
      case 'done':
        this.#settle(() => current.resolve(message.result));
        return;
      case 'error':
        this.#settle(() => current.reject(deserializeError(message.error)));
        return;
    }
  }

  #settle(action: () => void): void {
    const current = this.#current;
    if (current === null) return;
    clearTimeout(current.killTimer);
    this.#current = null;
    if (current.task.signal.aborted) {
      // Abort wins over whatever the handler did once it was asked to stop.
      current.reject(current.task.signal.reason);
      if (current.killTimer !== undefined && this.#child !== null) {
        // The process got SIGINT; a fresh one is safer than one that was interrupted.
        this.terminate();
      }
      return;
    }
    action();
  }

  #handleExit(description: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    const current = this.#current;
    if (current !== null) {
      this.#settle(() => current.reject(new WorkerCrashedError(description)));
    }
    this.#onExit(this);
  }

  #pipeOutput(stream: Readable, level: LogLevel): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.length > 0) this.#current?.task.onLog(level, line, this.source);
    });
  }
}
