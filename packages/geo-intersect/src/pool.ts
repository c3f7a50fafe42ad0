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

/** Worker processes (gdal-async loads once per process), each indexing the second dataset. */
export function spawnIntersectionPool(
  size: number,
): ProcessPool<EngineSetup, FeatureBatch, PairResult[]> {
  return ProcessPool.spawn(siblingModule(import.meta.url, 'worker-entry'), size);
}

/** Buffers travel between processes as Uint8Array. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
