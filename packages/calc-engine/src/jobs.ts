import { handlerModule } from '@geoworks/job-queue';
import { siblingModule } from '@geoworks/workers';
import type * as handlers from './handlers.js';

const module = handlerModule<typeof handlers>(siblingModule(import.meta.url, 'handlers'));

/** The engine's one job type: a calculation, each in its own fresh process, as OpenQuake runs them. */
export function calcJobs(timeoutMs: number) {
  return {
    calculation: module.job('runCalculation', {
      isolation: 'process',
      maxJobsPerWorker: 1,
      timeoutMs,
    }),
  };
}

export type CalcJobs = ReturnType<typeof calcJobs>;
