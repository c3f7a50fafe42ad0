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

  static async start(setup: EngineSetup, size: number): Promise<ProcessPool> {
    const pool = new ProcessPool();
    const entry = siblingModule(import.meta.url, 'worker-entry');
    try {
      await Promise.all(
        Array.from({ length: size }, async () => {
          const child = forkModule(entry, [], {
            serialization: 'advanced',
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          const slot: WorkerSlot = { child, pending: new Map() };
          pool.#slots.push(slot);
          await new Promise<void>((resolve, reject) => {
            const onMessage = (message: FromWorker) => {
              if (message.kind === 'ready') resolve();
              else if (message.kind === 'error') reject(deserializeError(message.error));
            };
            child.once('message', onMessage);
            child.once('exit', (code, signal) =>
              reject(new Error(`intersection worker exited (${signal ?? code}) while starting`)),
            );
            child.send({ kind: 'setup', setup });
          });
          child.removeAllListeners('exit');
          child.removeAllListeners('message');
          child.on('message', (message: FromWorker) => pool.#receive(slot, message));
          child.on('exit', (code, signal) =>
            pool.#fail(
              slot,
              new Error(`an intersection worker process stopped (${signal ?? `exit ${code}`})`),
            ),
          );
        }),
      );
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
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

function toBufferResult(result: PairResult): PairResult {
  const wkb = result.wkb as Uint8Array;
  return Buffer.isBuffer(wkb)
    ? result
    : { ...result, wkb: Buffer.from(wkb.buffer, wkb.byteOffset, wkb.byteLength) };
}
