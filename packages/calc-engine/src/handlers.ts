// The job process of a calculation: imports the job's calculation mode and runs it. The job
// queue starts one such process per job (maxJobsPerWorker: 1) and turns SIGINT into an abort.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext } from '@geoworks/job-queue';
import type { CalculationMode, ParameterValue, ParentJob, ProducedOutput } from './modes/types.js';

export interface CalculationPayload {
  jobId: number;
  modeModule: string;
  modeExport: string;
  jobDir: string;
  datastorePath: string;
  params: Record<string, ParameterValue>;
  parent: ParentJob | null;
}

export interface CalculationResult {
  outputs: ProducedOutput[];
  /** Size of the job folder (inputs, datastore, exports), MB. */
  sizeMb: number;
  /** Size of each output's files, MB, by key. */
  outputSizes: Record<string, number>;
}

export async function runCalculation(
  payload: CalculationPayload,
  context: JobContext,
): Promise<CalculationResult> {
  const loaded = (await import(payload.modeModule)) as Record<string, CalculationMode>;
  const mode = loaded[payload.modeExport];
  if (mode === undefined)
    throw new Error(`${payload.modeModule} does not export the mode ${payload.modeExport}`);
  context.log.info(`job ${payload.jobId}: ${mode.name} starting (pid ${process.pid})`);
  const exportDir = join(payload.jobDir, 'exports');
  await mkdir(exportDir, { recursive: true });
  const started = Date.now();
  const outputs = await mode.run({
    jobId: payload.jobId,
    jobDir: payload.jobDir,
    datastorePath: payload.datastorePath,
    exportDir,
    params: payload.params,
    parent: payload.parent,
    log: context.log,
    progress: (percent) => context.progress(percent),
    signal: context.signal,
  });
  const outputSizes: Record<string, number> = {};
  for (const output of outputs) {
    let bytes = 0;
    for (const files of Object.values(output.files)) {
      for (const file of files ?? []) bytes += (await stat(join(payload.jobDir, file))).size;
    }
    outputSizes[output.key] = bytes / 2 ** 20;
  }
  context.log.info(
    `job ${payload.jobId}: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { outputs, sizeMb: (await folderSize(payload.jobDir)) / 2 ** 20, outputSizes };
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await folderSize(path) : (await stat(path)).size;
  }
  return total;
}
