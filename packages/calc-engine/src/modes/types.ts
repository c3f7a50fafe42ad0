import type { NpyArray } from '@geoworks/npz';
import type { JobLogger } from '@geoworks/job-queue';

export type ExportType = 'json' | 'csv' | 'geojson' | 'gpkg';

export type ParameterType = 'string' | 'float' | 'integer' | 'boolean' | 'file' | 'choice';

export interface ParameterSpec {
  type: ParameterType;
  description: string;
  /** Absent: the parameter is required. */
  default?: string | number | boolean;
  choices?: readonly string[];
  /** The smallest and largest value of an `integer` or `float`, checked at submit. */
  minimum?: number;
  maximum?: number;
  /**
   * `workers`: a count of worker processes the job starts. Its largest value is the engine's
   * limit per job (`maxWorkersPerJob`, shared out under `maxWorkers`), whatever `maximum` says:
   * the server decides what a job may use, not the job.
   */
  resource?: 'workers';
  /** The mode's own check of the typed value at submit; throws a JobConfigError. */
  check?(value: ParameterValue): void;
}

export type ParameterValue = string | number | boolean;

export interface OutputSpec {
  /** Name in the datastore and in `extract/<key>`. */
  key: string;
  /** Display name in the results list. */
  name: string;
  exportTypes: readonly ExportType[];
}

/** What a finished run produced: per output, the export files (paths relative to the job folder). */
export interface ProducedOutput {
  key: string;
  name: string;
  files: Partial<Record<ExportType, string[]>>;
}

export interface ParentJob {
  id: number;
  mode: string;
  dir: string;
  datastorePath: string;
  params: Record<string, ParameterValue>;
  outputs: ProducedOutput[];
}

export interface RunContext {
  jobId: number;
  /** The job's folder: inputs, datastore, exports. */
  jobDir: string;
  /** The job's GeoPackage datastore (create it; GDAL and QGIS open it). */
  datastorePath: string;
  /** Where exports go (inside jobDir). */
  exportDir: string;
  /** Parameters with defaults applied and file inputs as absolute paths. */
  params: Record<string, ParameterValue>;
  parent: ParentJob | null;
  log: JobLogger;
  progress(percent: number): void;
  signal: AbortSignal;
}

export interface ExtractContext {
  datastorePath: string;
  params: Record<string, ParameterValue>;
}

/**
 * A calculation mode: a plug-in that validates its parameters, runs in the job's own process
 * and leaves its results in the job's datastore and exports. `module` and `exportName` let the
 * job's process import the mode again (pass `import.meta.url` of the defining module).
 */
export interface CalculationMode {
  name: string;
  description: string;
  parameters: Record<string, ParameterSpec>;
  /** A parent job (`hazard_job_id`) of one of these modes is required. */
  parentModes?: readonly string[];
  outputs: readonly OutputSpec[];
  module: string;
  exportName: string;
  run(context: RunContext): Promise<ProducedOutput[]>;
  /** `extract/<what>` for this mode's outputs; null when `what` is not one of them. */
  extract?(
    what: string,
    query: URLSearchParams,
    context: ExtractContext,
  ): Promise<Record<string, NpyArray> | null>;
}

export function defineCalculationMode(mode: CalculationMode): CalculationMode {
  return mode;
}
