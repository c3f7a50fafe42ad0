// A worker process of `zonalStatistics({ cpus })`: opens the raster once, then answers each
// batch of features (WKB in the raster's CRS) with their statistics.
import { serveProcessPool } from '@geoworks/workers';
import { ZonalEngine, type ZonalSetup } from './engine.js';
import type { Stats } from './stats.js';

let engine: ZonalEngine | null = null;

serveProcessPool<ZonalSetup, (Uint8Array | null)[], Stats[]>({
  async setup(setup) {
    engine = await ZonalEngine.open(setup);
  },
  async run(batch) {
    if (engine === null) throw new Error('The worker has no setup yet');
    return engine.statsForBatch(batch);
  },
});
