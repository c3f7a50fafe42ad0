import type { ChildProcess } from 'node:child_process';
import { deserializeError, serializeError, type SerializedError } from '@geoworks/errors';
import { forkModule } from './launch.js';

type ToWorker<Setup, Task> =
  { kind: 'setup'; setup: Setup } | { kind: 'task'; seq: number; task: Task };
type FromWorker<Result> =
  | { kind: 'ready' }
  | { kind: 'result'; seq: number; result: Result }
  | { kind: 'error'; seq: number | null; error: SerializedError };

interface Slot<Result> {
  child: ChildProcess;
  pending: Map<number, { resolve(result: Result): void; reject(error: unknown): void }>;
}

/**
 * A fixed set of worker processes that each receive one setup (say, a dataset to index) and
 * then run tasks, each task going to the least busy worker. Processes rather than threads for
 * native modules that load once per process (gdal-async). The worker module calls
 * `serveProcessPool`. Messages use the advanced serialization: Buffers and typed arrays pass
 * (they arrive as Uint8Array / typed arrays).
 */
export class ProcessPool<Setup, Task, Result> {
  readonly #slots: Slot<Result>[] = [];
  #seq = 0;
  #failure: unknown = null;

  private constructor() {}

  /** Starts `size` worker processes running `entry` now; give them their setup with `setup()`. */
  static spawn<Setup, Task, Result>(entry: URL, size: number): ProcessPool<Setup, Task, Result> {
    const pool = new ProcessPool<Setup, Task, Result>();
    for (let i = 0; i < size; i++) {
      const child = forkModule(entry, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      pool.#slots.push({ child, pending: new Map() });
    }
    return pool;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Sends every worker the setup; resolves once all are ready. */
  async setup(setup: Setup): Promise<void> {
    await Promise.all(
      this.#slots.map(
        ({ child }) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: FromWorker<Result>) => {
              if (message.kind === 'ready') finish(resolve);
              else if (message.kind === 'error')
                finish(() => reject(deserializeError(message.error)));
            };
            const onExit = (code: number | null, signal: string | null) =>
              finish(() =>
                reject(
                  new Error(`a worker process exited (${signal ?? `exit ${code}`}) while starting`),
                ),
              );
            const finish = (settle: () => void) => {
              child.off('message', onMessage);
              child.off('exit', onExit);
              settle();
            };
            child.on('message', onMessage);
            child.on('exit', onExit);
            child.send({ kind: 'setup', setup } satisfies ToWorker<Setup, Task>);
          }),
      ),
    );
    for (const slot of this.#slots) {
      slot.child.on('message', (message: FromWorker<Result>) => this.#receive(slot, message));
      slot.child.on('exit', (code, signal) =>
        this.#fail(slot, new Error(`a worker process stopped (${signal ?? `exit ${code}`})`)),
      );
    }
  }

  /**
   * Runs a task on the least busy worker, or on worker number `worker` (0 to size - 1) when
   * the caller keeps related tasks together (say, one part of a raster per worker).
   */
  run(task: Task, worker?: number): Promise<Result> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (worker !== undefined && !(Number.isInteger(worker) && worker >= 0 && worker < this.size))
      return Promise.reject(new RangeError(`No worker ${worker} in a pool of ${this.size}`));
    const slot =
      worker === undefined
        ? this.#slots.reduce((best, candidate) =>
            candidate.pending.size < best.pending.size ? candidate : best,
          )
        : this.#slots[worker]!;
    const seq = this.#seq++;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.child.send({ kind: 'task', seq, task } satisfies ToWorker<Setup, Task>);
    });
  }

  #receive(slot: Slot<Result>, message: FromWorker<Result>): void {
    if (message.kind === 'result') {
      const waiter = slot.pending.get(message.seq);
      slot.pending.delete(message.seq);
      waiter?.resolve(message.result);
    } else if (message.kind === 'error') {
      const error = deserializeError(message.error);
      if (message.seq === null) {
        this.#fail(slot, error);
        return;
      }
      const waiter = slot.pending.get(message.seq);
      slot.pending.delete(message.seq);
      waiter?.reject(error);
    }
  }

  #fail(slot: Slot<Result>, error: unknown): void {
    this.#failure ??= error;
    for (const waiter of slot.pending.values()) waiter.reject(error);
    slot.pending.clear();
  }

  /** Ends every worker at once. */
  close(): void {
    for (const { child } of this.#slots) {
      child.removeAllListeners('exit');
      if (child.connected) child.disconnect();
      child.kill('SIGKILL');
    }
  }
}

export interface PoolWorker<Setup, Task, Result> {
  setup(setup: Setup): void | Promise<void>;
  run(task: Task): Result | Promise<Result>;
}

/** The worker side of a ProcessPool: call it once in the worker module. */
export function serveProcessPool<Setup, Task, Result>(
  worker: PoolWorker<Setup, Task, Result>,
): void {
  const send = (message: FromWorker<Result>) => process.send!(message);
  process.on('message', (message: ToWorker<Setup, Task>) => {
    void (async () => {
      try {
        if (message.kind === 'setup') {
          await worker.setup(message.setup);
          send({ kind: 'ready' });
        } else {
          send({ kind: 'result', seq: message.seq, result: await worker.run(message.task) });
        }
      } catch (error) {
        send({
          kind: 'error',
          seq: message.kind === 'task' ? message.seq : null,
          error: serializeError(error),
        });
      }
    })();
  });
  // The pool went away: nobody will read the results.
  process.on('disconnect', () => process.exit(0));
}
