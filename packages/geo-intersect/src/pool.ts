import type { ChildProcess } from 'node:child_process';
import { deserializeError } from '@geoworks/errors';
import { forkModule, siblingModule } from '@geoworks/workers';
import { IntersectionEngine, type EngineSetup, type PairResult } from './engine.js';
import type { FeatureBatch, FromWorker } from './protocol.js';

/** Runs batches of first-dataset features against the second dataset. */
export interface BatchRunner {
  run(batch: FeatureBatch): Promise<PairResult[]>;
  close(): void;
}

/** `cpus: 0`: everything in this process, as pandarus does without a pool. */
export class InProcessRunner implements BatchRunner {
  readonly #engine: IntersectionEngine;

  constructor(setup: EngineSetup) {
    this.#engine = new IntersectionEngine(setup);
  }

  async run(batch: FeatureBatch): Promise<PairResult[]> {
    return batch.features.flatMap(({ index, wkb }) => this.#engine.intersect(index, wkb as Buffer));
  }

  close(): void {}
}

interface WorkerSlot {
  child: ChildProcess;
  pending: Map<number, { resolve(results: PairResult[]): void; reject(error: unknown): void }>;
}

/**
 * Worker processes, each holding its own index of the second dataset. Processes rather than
 * threads because gdal-async is a native module that loads only once per process.
 */
export class ProcessPool implements BatchRunner {
  readonly #slots: WorkerSlot[] = [];
  #failure: unknown = null;

  private constructor() {}

  /** Starts `size` worker processes now; they get their work with `setup()`. */
  static spawn(size: number): ProcessPool {
    const pool = new ProcessPool();
    const entry = siblingModule(import.meta.url, 'worker-entry');
    for (let i = 0; i < size; i++) {
      const child = forkModule(entry, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      pool.#slots.push({ child, pending: new Map() });
    }
    return pool;
  }

  /** Sends every worker the second dataset; resolves once all have indexed it. */
  async setup(setup: EngineSetup): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const { child } = slot;
            const onMessage = (message: FromWorker) => {
              if (message.kind === 'ready') done(resolve);
              else if (message.kind === 'error')
                done(() => reject(deserializeError(message.error)));
            };
            const onExit = (code: number | null, signal: string | null) =>
              done(() =>
                reject(new Error(`intersection worker exited (${signal ?? code}) while starting`)),
              );
            const done = (settle: () => void) => {
              child.off('message', onMessage);
              child.off('exit', onExit);
              settle();
            };
            child.on('message', onMessage);
            child.on('exit', onExit);
            child.send({ kind: 'setup', setup });
          }),
      ),
    );
    for (const slot of this.#slots) {
      slot.child.on('message', (message: FromWorker) => this.#receive(slot, message));
      slot.child.on('exit', (code, signal) =>
        this.#fail(
          slot,
          new Error(`an intersection worker process stopped (${signal ?? `exit ${code}`})`),
        ),
      );
    }
  }

  run(batch: FeatureBatch): Promise<PairResult[]> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    // The least busy worker gets the batch.
    const slot = this.#slots.reduce((best, candidate) =>
      candidate.pending.size < best.pending.size ? candidate : best,
    );
    return new Promise((resolve, reject) => {
      slot.pending.set(batch.seq, { resolve, reject });
      slot.child.send(batch);
    });
  }

  #receive(slot: WorkerSlot, message: FromWorker): void {
    if (message.kind === 'results') {
      const waiter = slot.pending.get(message.seq);
      slot.pending.delete(message.seq);
      waiter?.resolve(message.results.map(toBufferResult));
    } else if (message.kind === 'error') {
      this.#fail(slot, deserializeError(message.error));
    }
  }

  #fail(slot: WorkerSlot, error: unknown): void {
    this.#failure ??= error;
    for (const waiter of slot.pending.values()) waiter.reject(error);
    slot.pending.clear();
  }

  close(): void {
    for (const { child } of this.#slots) {
      child.removeAllListeners('exit');
      if (child.connected) child.disconnect();
      child.kill('SIGKILL');
    }
  }
}

// Buffers come back as Uint8Array through the advanced serialization.
function toBufferResult(result: PairResult): PairResult {
  const geometry = result.geometry as Uint8Array | string;
  if (typeof geometry === 'string' || Buffer.isBuffer(geometry)) return result;
  return {
    ...result,
    geometry: Buffer.from(geometry.buffer, geometry.byteOffset, geometry.byteLength),
  };
}
