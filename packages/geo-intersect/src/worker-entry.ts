// A worker process of `intersect()`: indexes the second dataset it is sent, then answers each
// batch of first-dataset features with their intersections.
import { serveProcessPool } from '@geoworks/workers';
import { IntersectionEngine, type EngineSetup, type PairResult } from './engine.js';
import { runBatch, type FeatureBatch } from './pool.js';

let engine: IntersectionEngine | null = null;

serveProcessPool<EngineSetup, FeatureBatch, PairResult[]>({
  setup(setup) {
    engine = new IntersectionEngine(setup);
  },
  run(batch) {
    if (engine === null) throw new Error('The worker has no setup yet');
    return runBatch(engine, batch);
  },
});
