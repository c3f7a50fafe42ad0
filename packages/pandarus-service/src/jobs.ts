import { handlerModule } from '@geoworks/job-queue';
import { siblingModule } from '@geoworks/workers';
import type * as handlers from './handlers.js';

const HOUR = 3_600_000;
const module = handlerModule<typeof handlers>(siblingModule(import.meta.url, 'handlers'));

/**
 * The service's job types, each bound to its handler by name (checked by the compiler) in a
 * worker process, so GDAL never blocks the HTTP event loop. Small jobs (an upload's
 * inspection) have their own queue and never wait behind a calculation.
 */
export const pandarusJobs = {
  inspect: module.job('inspectDataset', {
    queue: 'fast',
    isolation: 'process',
    timeoutMs: 10 * 60_000,
  }),
  intersection: module.job('computeIntersection', {
    queue: 'slow',
    isolation: 'process',
    timeoutMs: 4 * HOUR,
  }),
  remaining: module.job('computeRemaining', {
    queue: 'slow',
    isolation: 'process',
    timeoutMs: HOUR / 2,
  }),
  rasterstats: module.job('computeRasterStats', {
    queue: 'slow',
    isolation: 'process',
    timeoutMs: HOUR / 2,
  }),
};

export type PandarusJobs = typeof pandarusJobs;
