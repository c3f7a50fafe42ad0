import { ProcessPool, siblingModule } from '@geoworks/workers';
import { IntersectionEngine, type EngineSetup, type PairResult } from './engine.js';

/** A batch of first-dataset features (WKB in their own CRS). */
export interface FeatureBatch {
  features: { index: number; wkb: Uint8Array }[];
}

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
    return runBatch(this.#engine, batch);
  }

  close(): void {}
}

export function runBatch(engine: IntersectionEngine, batch: FeatureBatch): PairResult[] {
  return batch.features.flatMap(({ index, wkb }) => engine.intersect(index, toBuffer(wkb)));
}

/** A runner on its way: `ready` hands it the second dataset; `close` ends it, ready or not. */
export interface StartingRunner {
  ready(setup: EngineSetup): Promise<BatchRunner>;
  close(): void;
}

/**
 * Starts the runner for `cpus` worker processes (gdal-async loads once per process; each
 * indexes the second dataset), or for this process when `cpus` is 0. Workers start loading at
 * once, while the caller reads its inputs.
 */
export function startRunner(cpus: number): StartingRunner {
  if (cpus === 0) {
    let runner: BatchRunner | null = null;
    return {
      ready: async (setup) => (runner = new InProcessRunner(setup)),
      close: () => runner?.close(),
    };
  }
  const pool = ProcessPool.spawn<EngineSetup, FeatureBatch, PairResult[]>(
    siblingModule(import.meta.url, 'worker-entry'),
    cpus,
  );
  return {
    ready: async (setup) => {
      await pool.setup(setup);
      return pool;
    },
    close: () => pool.close(),
  };
}

/** Buffers travel between processes as Uint8Array. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
